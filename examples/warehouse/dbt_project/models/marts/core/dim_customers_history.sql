-- Every recorded version of each customer, from the snapshot, with its validity interval.
select
    customer_id,
    email,
    phone,
    country_code,
    dbt_valid_from as valid_from,
    dbt_valid_to as valid_to,
    dbt_valid_to is null as is_current
from {{ ref('customers_snapshot') }}
