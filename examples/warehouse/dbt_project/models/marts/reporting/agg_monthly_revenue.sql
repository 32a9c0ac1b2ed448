select
    d.month_start,
    sum(r.order_count) as order_count,
    sum(r.net_revenue) as net_revenue,
    sum(r.margin) as margin,
    round(sum(r.margin) / nullif(sum(r.net_revenue), 0), 3) as margin_rate
from {{ ref('agg_daily_revenue') }} as r
join {{ ref('dim_dates') }} as d using (date_day)
group by d.month_start
