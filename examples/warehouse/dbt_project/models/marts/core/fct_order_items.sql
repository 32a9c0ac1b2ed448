select
    i.order_item_id,
    i.order_id,
    o.customer_id,
    o.ordered_on,
    o.status,
    i.product_id,
    i.category,
    i.quantity,
    i.net_revenue,
    i.cost
from {{ ref('int_order_items_priced') }} as i
join {{ ref('stg_orders') }} as o using (order_id)
