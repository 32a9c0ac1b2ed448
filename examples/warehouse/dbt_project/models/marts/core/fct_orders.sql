select
    o.order_id,
    o.customer_id,
    o.ordered_on,
    o.status,
    t.line_count,
    t.item_count,
    t.net_revenue,
    t.cost,
    t.net_revenue - t.cost as margin,
    coalesce(p.amount_paid, 0) as amount_paid,
    p.main_payment_method
from {{ ref('stg_orders') }} as o
join {{ ref('int_orders_totals') }} as t using (order_id)
left join {{ ref('int_payments_by_order') }} as p using (order_id)
