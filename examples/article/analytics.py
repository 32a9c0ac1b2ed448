"""Data Warehousing and Analytics: a small star schema and an executive dashboard.

The "sales system" and "CRM" are deterministic generators; the dimension,
fact table, revenue metrics and dashboard are real pandas transformations.
"""

import numpy as np
import pandas as pd

from headwater import Definitions, asset

N_CUSTOMERS = 50
N_ORDERS = 500


def extract_from_sales_system(seed=3):
    """Orders for January 2024: one row per order."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "order_id": np.arange(1, N_ORDERS + 1),
            "customer_id": rng.integers(1, N_CUSTOMERS + 1, N_ORDERS),
            "order_date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 31, N_ORDERS), unit="D"),
            "amount": rng.gamma(2.0, 60.0, N_ORDERS).round(2),
        }
    )


def extract_from_crm(seed=5):
    """Customer accounts with their headcount and country."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, N_CUSTOMERS + 1)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "company": [f"Company {i:02d}" for i in ids],
            "country": rng.choice(["DE", "FR", "GB", "US"], N_CUSTOMERS),
            "employees": rng.lognormal(4.5, 1.6, N_CUSTOMERS).astype(int) + 1,
        }
    )


def transform_into_dimension(customers):
    """Add a surrogate key and a segment by company size."""
    dimension = customers.sort_values("customer_id").reset_index(drop=True)
    dimension.insert(0, "customer_key", np.arange(1, len(dimension) + 1))
    dimension["segment"] = pd.cut(
        dimension["employees"],
        bins=[0, 49, 499, np.inf],
        labels=["SMB", "Mid-Market", "Enterprise"],
    ).astype(str)
    return dimension[["customer_key", "customer_id", "company", "country", "segment"]]


def create_fact_table(sales, dimension):
    """Orders keyed by customer_key; an order whose customer is unknown is an error."""
    fact = sales.merge(dimension[["customer_id", "customer_key"]], on="customer_id", how="left")
    orphans = fact["customer_key"].isna()
    if orphans.any():
        raise ValueError(f"{int(orphans.sum())} orders reference customers missing from the CRM")
    return fact[["order_id", "customer_key", "order_date", "amount"]]


def calculate_revenue_metrics(fact, dimension):
    """Revenue, orders, buying customers and average order value per segment."""
    joined = fact.merge(dimension[["customer_key", "segment"]], on="customer_key")
    metrics = joined.groupby("segment").agg(
        revenue=("amount", "sum"),
        orders=("order_id", "count"),
        customers=("customer_key", "nunique"),
    )
    metrics["avg_order_value"] = metrics["revenue"] / metrics["orders"]
    return metrics.sort_values("revenue", ascending=False).reset_index()


def generate_dashboard_data(revenue):
    total = float(revenue["revenue"].sum())
    return {
        "total_revenue": round(total, 2),
        "total_orders": int(revenue["orders"].sum()),
        "top_segment": revenue.iloc[0]["segment"],
        "segments": [
            {
                "segment": row.segment,
                "revenue": round(float(row.revenue), 2),
                "share": float(row.revenue) / total,
                "avg_order_value": round(float(row.avg_order_value), 2),
            }
            for row in revenue.itertuples()
        ],
    }


@asset
def raw_sales_data():
    return extract_from_sales_system()

@asset
def raw_customer_data():
    return extract_from_crm()

@asset
def customer_dimension(raw_customer_data):
    return transform_into_dimension(raw_customer_data)

@asset
def sales_fact(raw_sales_data, customer_dimension):
    return create_fact_table(raw_sales_data, customer_dimension)

@asset
def revenue_by_segment(sales_fact, customer_dimension):
    return calculate_revenue_metrics(sales_fact, customer_dimension)

@asset
def executive_dashboard(revenue_by_segment):
    return generate_dashboard_data(revenue_by_segment)


defs = Definitions(
    assets=[
        raw_sales_data,
        raw_customer_data,
        customer_dimension,
        sales_fact,
        revenue_by_segment,
        executive_dashboard,
    ]
)
