"""Sample data the article's examples read from disk.

The article's `customer_data` asset and `extract_customer_data` op read
`customers.csv` from the working directory. This module writes a
deterministic copy of that file; the example modules never write it
themselves, so importing them has no side effects.

    python examples/article/_helpers.py [directory]   # writes directory/customers.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEGMENTS = ("consumer", "small_business", "enterprise")
# Mean purchases per segment: far enough apart that clustering can find them.
MEAN_PURCHASES = (4, 14, 32)


def customers_frame(n: int = 120, seed: int = 7) -> pd.DataFrame:
    """Customers with the columns the article uses: id, name, email, segment, purchases."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1)
    group = ids % len(SEGMENTS)
    purchases = rng.poisson(np.take(MEAN_PURCHASES, group))
    return pd.DataFrame(
        {
            "customer_id": ids,
            "name": [f"Customer {i:03d}" for i in ids],
            "email": [f"customer{i:03d}@example.com" for i in ids],
            "customer_segment": [SEGMENTS[g] for g in group],
            "purchases": purchases,
        }
    )


def write_customers_csv(path: str | Path = "customers.csv", n: int = 120) -> Path:
    """Write the sample customers to `path` and return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    customers_frame(n).to_csv(path, index=False)
    return path


if __name__ == "__main__":
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
    print(write_customers_csv(directory / "customers.csv"))
