select
    c.country_code,
    count(distinct o.customer_id) as buying_customers,
    sum(o.net_revenue) as net_revenue,
    sum(p.amount) as amount_paid
from {{ ref('fct_orders') }} as o
join {{ ref('dim_customers') }} as c using (customer_id)
left join {{ ref('fct_payments') }} as p using (order_id)
where o.status in ('completed', 'shipped')
group by c.country_code
