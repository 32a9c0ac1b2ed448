select
    p.product_id,
    p.product_name,
    p.category,
    coalesce(sum(i.quantity), 0) as units_sold,
    coalesce(sum(i.net_revenue), 0) as net_revenue,
    coalesce(sum(i.net_revenue - i.cost), 0) as margin,
    count(distinct i.customer_id) as customers
from {{ ref('dim_products') }} as p
left join {{ ref('fct_order_items') }} as i
    on i.product_id = p.product_id and i.status in ('completed', 'shipped')
group by all
