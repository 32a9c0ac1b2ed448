select
    p.payment_id,
    p.order_id,
    o.customer_id,
    p.payment_method,
    p.amount,
    p.paid_on
from {{ ref('stg_payments') }} as p
join {{ ref('stg_orders') }} as o using (order_id)
