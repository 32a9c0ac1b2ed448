"""Type System: a CustomerData HeadwaterType checked at op boundaries.

`extract_customer_data` reads `customers.csv` from the working directory
(write one with `python examples/article/_helpers.py`); `customer_pipeline`
wires the article's two ops together.
"""

import pandas as pd

from headwater import Definitions, HeadwaterType, In, Out, job, op


def is_valid_customer_data(_, value):
    if not isinstance(value, pd.DataFrame):
        return False
    return set(["customer_id", "name", "email"]).issubset(value.columns)

CustomerData = HeadwaterType(
    name="CustomerData",
    type_check_fn=is_valid_customer_data,
    description="A dataset of customer information with required fields"
)

@op(out=Out(CustomerData))
def extract_customer_data():
    df = pd.read_csv("customers.csv")
    return df

@op(ins={"customers": In(CustomerData)})
def process_customer_data(customers):
    # Process with confidence that the data has the expected structure
    return customers.groupby("customer_segment").agg({"purchases": "sum"})


@job
def customer_pipeline():
    process_customer_data(extract_customer_data())


defs = Definitions(jobs=[customer_pipeline])
