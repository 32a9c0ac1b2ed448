select
    product_id,
    product_name,
    category,
    list_price,
    unit_cost,
    round((list_price - unit_cost) / list_price, 3) as list_margin
from {{ ref('stg_products') }}
