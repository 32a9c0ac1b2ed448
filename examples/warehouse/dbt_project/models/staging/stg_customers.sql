select
    customer_id,
    full_name,
    lower(email) as email,
    nullif(trim(phone), '') as phone,
    upper(country_code) as country_code,
    cast(signed_up_on as date) as signed_up_on
from {{ ref('raw_customers') }}
