"""Partitioning and Scheduling: daily_sales, one partition per day since 2023-01-01.

The article's `daily_sales` reads its date from op config, and its
`my_partition_config` maps a day to that config. `daily_sales_job` joins the
two, so launching a partition of the job (from the UI, a schedule or a
backfill) supplies the config by itself:

    defs.resolve_job_def("daily_sales_job").execute_in_process(partition_key="2023-01-05")
"""

import zlib

import numpy as np
import pandas as pd

from headwater import (
    DailyPartitionsDefinition,
    Definitions,
    PartitionedConfig,
    asset,
    daily_partitioned_config,
    define_asset_job,
)

daily_partitions = DailyPartitionsDefinition(start_date="2023-01-01")

STORES = ["north", "south", "east", "west"]


def load_sales_for_date(date):
    """The day's orders: the same rows every time the same day is loaded."""
    rng = np.random.default_rng(zlib.crc32(date.encode()))
    n = int(rng.integers(20, 60))
    return pd.DataFrame(
        {
            "order_id": [f"{date}-{i:03d}" for i in range(n)],
            "date": date,
            "store": rng.choice(STORES, n),
            "amount": rng.gamma(2.0, 25.0, n).round(2),
        }
    )


@daily_partitioned_config(start_date="2023-01-01")
def my_partition_config(start, _end):
    return {"date": start.strftime("%Y-%m-%d")}

@asset(
    config_schema={"date": str},
    partitions_def=daily_partitions,
)
def daily_sales(context):
    date = context.op_config["date"]
    return load_sales_for_date(date)


def daily_sales_run_config(partition_key):
    """Run config for one partition: the article's partition config, as daily_sales' op config."""
    date_config = my_partition_config.get_run_config_for_partition_key(partition_key)
    return {"ops": {"daily_sales": {"config": date_config}}}


daily_sales_job = define_asset_job(
    "daily_sales_job",
    selection=[daily_sales],
    config=PartitionedConfig(
        partitions_def=daily_partitions,
        run_config_for_partition_key_fn=daily_sales_run_config,
    ),
)

defs = Definitions(assets=[daily_sales], jobs=[daily_sales_job])
