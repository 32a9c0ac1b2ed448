"""Software-Defined Assets: customer_data -> enriched_customer_data -> customer_segments.

`customer_data` reads `customers.csv` from the working directory (write one
with `python examples/article/_helpers.py`). The demographic lookup and the
clustering model are small, deterministic stand-ins written with numpy.
"""

import numpy as np
import pandas as pd

from headwater import Definitions, asset

# Age and yearly income centres of the demographic groups a lookup returns,
# indexed by customer_id % 3 (the same grouping as the sample segments).
_DEMOGRAPHIC_CENTRES = ((27.0, 38_000.0), (44.0, 72_000.0), (58.0, 140_000.0))


def add_demographic_data(customers: pd.DataFrame) -> pd.DataFrame:
    """Join age and income from a deterministic per-customer lookup."""
    rows = []
    for customer_id in customers["customer_id"]:
        rng = np.random.default_rng([2024, int(customer_id)])
        age, income = _DEMOGRAPHIC_CENTRES[int(customer_id) % 3]
        rows.append(
            {
                "customer_id": customer_id,
                "age": round(age + rng.normal(0, 3)),
                "annual_income": round(income + rng.normal(0, 6_000), 2),
            }
        )
    return customers.merge(pd.DataFrame(rows), on="customer_id", how="left")


class KMeans:
    """Lloyd's k-means on standardized columns, seeded k-means++ start."""

    def __init__(self, n_clusters=3, features=("age", "annual_income", "purchases"), seed=0):
        self.n_clusters = n_clusters
        self.features = list(features)
        self.seed = seed
        self.centres = None

    def _scaled(self, frame):
        return (frame[self.features].to_numpy(dtype=float) - self.mean) / self.scale

    def fit(self, frame, max_iter=100):
        values = frame[self.features].to_numpy(dtype=float)
        self.mean = values.mean(axis=0)
        self.scale = np.where(values.std(axis=0) > 0, values.std(axis=0), 1.0)
        points = self._scaled(frame)
        rng = np.random.default_rng(self.seed)
        centres = [points[rng.integers(len(points))]]
        while len(centres) < self.n_clusters:
            distance = np.min([((points - c) ** 2).sum(axis=1) for c in centres], axis=0)
            centres.append(points[rng.choice(len(points), p=distance / distance.sum())])
        self.centres = np.array(centres)
        labels = None
        for _ in range(max_iter):
            new_labels = self._nearest(points)
            if labels is not None and np.array_equal(new_labels, labels):
                break
            labels = new_labels
            self.centres = np.array(
                [
                    points[labels == k].mean(axis=0) if np.any(labels == k) else self.centres[k]
                    for k in range(self.n_clusters)
                ]
            )
        return self

    def _nearest(self, points):
        return ((points[:, None, :] - self.centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)

    def predict(self, frame):
        return self._nearest(self._scaled(frame))


def train_clustering_model(customers: pd.DataFrame) -> KMeans:
    return KMeans(n_clusters=3).fit(customers)


@asset
def customer_data():
    return pd.read_csv("customers.csv")

@asset
def enriched_customer_data(customer_data):
    # Enhance customer data with additional information
    return add_demographic_data(customer_data)

@asset
def customer_segments(enriched_customer_data):
    # Create customer segments using clustering
    model = train_clustering_model(enriched_customer_data)
    return model.predict(enriched_customer_data)


defs = Definitions(assets=[customer_data, enriched_customer_data, customer_segments])
