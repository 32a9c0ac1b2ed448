"""Write the warehouse example's raw data: the dbt seeds and the two source files.

    python examples/warehouse/generate_data.py

The files are committed; this script says where they came from and makes
them again, byte for byte (a fixed random seed). Seeds (loaded by
`dbt seed`): customers, products, orders, order items and a calendar.
Source files (read in place by dbt-duckdb through `external_location`):
payments and web sessions.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent / "dbt_project"
START = dt.date(2024, 1, 1)
DAYS = 731  # 2024 (a leap year) and 2025
COUNTRIES = ["DE", "FR", "NL", "US", "GB", "ES", "IT", "SE"]
CATEGORIES = {
    "kitchen": ["kettle", "pan", "knife set", "grinder", "teapot"],
    "garden": ["hose", "rake", "planter", "shears", "lantern"],
    "office": ["desk lamp", "notebook", "chair mat", "monitor arm", "pen set"],
    "outdoor": ["tent", "backpack", "stove", "sleeping bag", "head torch"],
}
STATUSES = ["completed"] * 16 + ["shipped"] * 2 + ["returned", "cancelled"]
METHODS = ["card", "card", "card", "paypal", "bank_transfer", "gift_card"]
CHANNELS = ["organic", "paid_search", "email", "social", "direct"]


def write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)


def main() -> None:
    rng = random.Random(20240101)
    seeds, data = PROJECT / "seeds", PROJECT / "data"
    seeds.mkdir(exist_ok=True)
    data.mkdir(exist_ok=True)

    dates = [START + dt.timedelta(days=i) for i in range(DAYS)]
    write(seeds / "raw_dates.csv", ["date_day", "is_holiday"],
          [[d.isoformat(), int((d.month, d.day) in {(1, 1), (5, 1), (12, 25), (12, 26)})]
           for d in dates])

    customers: list[list[Any]] = []
    for i in range(1, 301):
        signup = START + dt.timedelta(days=rng.randrange(DAYS // 2))
        phone = "" if rng.random() < 0.08 else f"+49 30 {rng.randrange(10**6, 10**7)}"
        customers.append([i, f"Customer {i:03d}", f"customer{i:03d}@example.com", phone,
                          rng.choice(COUNTRIES), signup.isoformat()])
    write(seeds / "raw_customers.csv",
          ["customer_id", "full_name", "email", "phone", "country_code", "signed_up_on"], customers)

    products: list[list[Any]] = []
    for category, names in CATEGORIES.items():
        for name in names:
            for grade in ("basic", "pro"):
                price = round(rng.uniform(8, 60) * (2.2 if grade == "pro" else 1.0), 2)
                products.append([len(products) + 1, f"{name} {grade}", category, price,
                                 round(price * rng.uniform(0.4, 0.7), 2)])
    write(seeds / "raw_products.csv",
          ["product_id", "product_name", "category", "list_price", "unit_cost"], products)

    orders: list[list[Any]] = []
    items: list[list[Any]] = []
    payments: list[list[Any]] = []
    for order_id in range(1, 2401):
        customer = rng.choice(customers)
        signup = dt.date.fromisoformat(str(customer[5]))
        ordered = signup + dt.timedelta(days=rng.randrange((START + dt.timedelta(DAYS - 1)
                                                             - signup).days + 1))
        status = rng.choice(STATUSES)
        orders.append([order_id, customer[0], ordered.isoformat(), status])
        total = 0.0
        for line in range(1, rng.randrange(1, 5) + 1):
            product = rng.choice(products)
            quantity = rng.randrange(1, 4)
            discount = rng.choice([0, 0, 0, 0.1, 0.2])
            items.append([order_id * 10 + line, order_id, product[0], quantity, discount])
            total += quantity * float(product[3]) * (1 - discount)
        if status != "cancelled":
            payments.append([len(payments) + 1, order_id, rng.choice(METHODS),
                             round(total, 2), ordered.isoformat()])
    write(seeds / "raw_orders.csv", ["order_id", "customer_id", "ordered_on", "status"], orders)
    write(seeds / "raw_order_items.csv",
          ["order_item_id", "order_id", "product_id", "quantity", "discount"], items)
    write(data / "payments.csv",
          ["payment_id", "order_id", "payment_method", "amount", "paid_on"], payments)

    sessions: list[list[Any]] = []
    for session_id in range(1, 4001):
        customer = rng.choice(customers)
        day = rng.choice(dates)
        sessions.append([session_id, customer[0], day.isoformat(), rng.choice(CHANNELS),
                         rng.randrange(1, 25), int(rng.random() < 0.35)])
    write(data / "web_sessions.csv",
          ["session_id", "customer_id", "session_date", "channel", "page_views", "converted"],
          sessions)


if __name__ == "__main__":
    main()
