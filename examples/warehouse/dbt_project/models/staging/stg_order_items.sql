select
    order_item_id,
    order_id,
    product_id,
    quantity,
    cast(discount as decimal(4, 2)) as discount
from {{ ref('raw_order_items') }}
