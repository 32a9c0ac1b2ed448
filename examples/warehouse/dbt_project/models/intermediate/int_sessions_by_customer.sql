select
    customer_id,
    count(*) as session_count,
    sum(page_views) as page_views,
    count(*) filter (where converted) as converted_sessions,
    max(session_date) as last_session_date
from {{ ref('stg_web_sessions') }}
group by customer_id
