-- Each order line with its price, cost and margin after the line's discount.
select
    i.order_item_id,
    i.order_id,
    i.product_id,
    p.category,
    i.quantity,
    i.discount,
    round(i.quantity * p.list_price * (1 - i.discount), 2) as net_revenue,
    round(i.quantity * p.unit_cost, 2) as cost
from {{ ref('stg_order_items') }} as i
join {{ ref('stg_products') }} as p using (product_id)
