select
    c.customer_id,
    c.full_name,
    c.email,
    c.phone,
    c.country_code,
    c.signed_up_on,
    coalesce(o.order_count, 0) as order_count,
    o.first_ordered_on,
    o.last_ordered_on,
    coalesce(o.lifetime_revenue, 0) as lifetime_revenue,
    coalesce(s.session_count, 0) as session_count,
    case
        when coalesce(o.lifetime_revenue, 0) >= 1500 then 'gold'
        when coalesce(o.lifetime_revenue, 0) >= 500 then 'silver'
        else 'bronze'
    end as tier
from {{ ref('stg_customers') }} as c
left join {{ ref('int_customer_orders') }} as o using (customer_id)
left join {{ ref('int_sessions_by_customer') }} as s using (customer_id)
