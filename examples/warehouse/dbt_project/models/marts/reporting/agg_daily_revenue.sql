select
    d.date_day,
    d.is_working_day,
    count(o.order_id) as order_count,
    coalesce(sum(o.net_revenue), 0) as net_revenue,
    coalesce(sum(o.margin), 0) as margin
from {{ ref('dim_dates') }} as d
left join {{ ref('fct_orders') }} as o
    on o.ordered_on = d.date_day and o.status in ('completed', 'shipped')
group by all
