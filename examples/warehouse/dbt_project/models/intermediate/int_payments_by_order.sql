select
    order_id,
    count(*) as payment_count,
    sum(amount) as amount_paid,
    min(paid_on) as first_paid_on,
    arg_max(payment_method, amount) as main_payment_method
from {{ ref('stg_payments') }}
group by order_id
