select
    order_id,
    count(*) as line_count,
    sum(quantity) as item_count,
    sum(net_revenue) as net_revenue,
    sum(cost) as cost
from {{ ref('int_order_items_priced') }}
group by order_id
