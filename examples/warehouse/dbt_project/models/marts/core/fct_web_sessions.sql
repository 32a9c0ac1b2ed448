select
    s.session_id,
    s.customer_id,
    s.session_date,
    d.is_weekend,
    s.channel,
    s.page_views,
    s.converted
from {{ ref('stg_web_sessions') }} as s
join {{ ref('dim_dates') }} as d on d.date_day = s.session_date
