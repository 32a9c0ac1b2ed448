select
    channel,
    is_weekend,
    count(*) as sessions,
    count(*) filter (where converted) as conversions,
    round(count(*) filter (where converted) / count(*), 3) as conversion_rate
from {{ ref('fct_web_sessions') }}
group by all
