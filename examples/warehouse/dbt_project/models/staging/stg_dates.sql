select
    date_day,
    is_holiday,
    year(date_day) as year_number,
    month(date_day) as month_number,
    date_trunc('month', date_day)::date as month_start,
    dayofweek(date_day) in (0, 6) as is_weekend
from {{ ref('raw_dates') }}
