-- No month can have negative revenue or margin above revenue.
select *
from {{ ref('agg_monthly_revenue') }}
where net_revenue < 0 or margin > net_revenue
