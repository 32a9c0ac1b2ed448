select
    payment_id,
    order_id,
    payment_method,
    cast(amount as decimal(12, 2)) as amount,
    cast(paid_on as date) as paid_on
from {{ source('shop', 'payments') }}
