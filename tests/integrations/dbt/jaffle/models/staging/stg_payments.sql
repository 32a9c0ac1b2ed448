select order_id, amount as paid
from {{ source('shop', 'payments') }}
