select
    tier,
    count(*) as customers,
    round(avg(lifetime_revenue), 2) as avg_lifetime_revenue,
    round(avg(order_count), 2) as avg_orders,
    sum(lifetime_revenue) as lifetime_revenue
from {{ ref('dim_customers') }}
group by tier
