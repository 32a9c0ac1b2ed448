select
    o.customer_id,
    count(*) as order_count,
    count(*) filter (where o.status = 'returned') as returned_count,
    min(o.ordered_on) as first_ordered_on,
    max(o.ordered_on) as last_ordered_on,
    sum(t.net_revenue) filter (where o.status in ('completed', 'shipped')) as lifetime_revenue
from {{ ref('stg_orders') }} as o
join {{ ref('int_orders_totals') }} as t using (order_id)
group by o.customer_id
