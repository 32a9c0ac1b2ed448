select
    session_id,
    customer_id,
    cast(session_date as date) as session_date,
    channel,
    page_views,
    converted = 1 as converted
from {{ source('shop', 'web_sessions') }}
