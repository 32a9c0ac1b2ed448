{{ config(materialized='incremental', unique_key='order_date', tags=['daily']) }}
select order_date, count(*) as orders, sum(amount) as amount
from {{ ref('stg_orders') }}
{% if var('min_date', none) is not none %}
where order_date >= '{{ var("min_date") }}' and order_date < '{{ var("max_date") }}'
{% endif %}
group by 1
