select
    date_day,
    year_number,
    month_number,
    month_start,
    is_weekend,
    is_holiday,
    not is_weekend and not is_holiday as is_working_day
from {{ ref('stg_dates') }}
