-- An order's revenue in fct_orders equals the sum of its lines in fct_order_items.
select o.order_id, o.net_revenue, sum(i.net_revenue) as lines_revenue
from {{ ref('fct_orders') }} as o
join {{ ref('fct_order_items') }} as i using (order_id)
group by o.order_id, o.net_revenue
having abs(o.net_revenue - sum(i.net_revenue)) > 0.01
