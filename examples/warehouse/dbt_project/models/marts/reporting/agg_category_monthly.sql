select
    date_trunc('month', ordered_on)::date as month_start,
    category,
    sum(quantity) as units,
    sum(net_revenue) as net_revenue
from {{ ref('fct_order_items') }}
where status in ('completed', 'shipped')
group by all
