select
    product_id,
    product_name,
    category,
    cast(list_price as decimal(10, 2)) as list_price,
    cast(unit_cost as decimal(10, 2)) as unit_cost
from {{ ref('raw_products') }}
