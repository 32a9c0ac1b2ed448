"""Machine Learning Pipelines: training_data -> ... -> deployed_model.

A churn classifier on generated customers: logistic regression fitted by
gradient descent in numpy, evaluated on a held-out fifth of the rows, and
"deployed" by writing the pickled model into a versioned registry directory
under $ARTICLE_DATA_DIR (default: <tmp>/headwater-article).
"""

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from headwater import Definitions, asset

FEATURES = ["tenure_z", "monthly_spend_z", "support_tickets_z", "tickets_per_year_z"]
TEST_FRACTION = 0.2


def data_dir() -> Path:
    return Path(os.environ.get("ARTICLE_DATA_DIR") or Path(tempfile.gettempdir()) / "headwater-article")


def load_and_preprocess_data(n=1_000, seed=11):
    """Generated customer records, cleaned: duplicates dropped, gaps filled with medians."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 73, n).astype(float)
    spend = rng.normal(70, 25, n).clip(5)
    tickets = rng.poisson(2, n).astype(float)
    # Churn is driven by short tenure and many tickets, softened by spend.
    score = -0.08 * (tenure - 36) + 0.9 * (tickets - 2) - 0.02 * (spend - 70)
    churned = (score + rng.normal(0, 0.4, n) > 0).astype(int)
    raw = pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "tenure_months": tenure,
            "monthly_spend": spend.round(2),
            "support_tickets": tickets,
            "churned": churned,
        }
    )
    # A real extract has holes and repeats; so does this one.
    raw.loc[rng.choice(n, 25, replace=False), "monthly_spend"] = np.nan
    raw = pd.concat([raw, raw.iloc[:10]], ignore_index=True)
    clean = raw.drop_duplicates(subset="customer_id").reset_index(drop=True)
    return clean.fillna({"monthly_spend": clean["monthly_spend"].median()})


def create_features(data):
    features = data.copy()
    features["tickets_per_year"] = features["support_tickets"] / (features["tenure_months"] / 12)
    for column, name in [
        ("tenure_months", "tenure_z"),
        ("monthly_spend", "monthly_spend_z"),
        ("support_tickets", "support_tickets_z"),
        ("tickets_per_year", "tickets_per_year_z"),
    ]:
        features[name] = (features[column] - features[column].mean()) / features[column].std()
    return features


def _split_point(frame):
    return int(len(frame) * (1 - TEST_FRACTION))


def split_features_and_labels(frame):
    """The training rows: the first 80%."""
    train = frame.iloc[: _split_point(frame)]
    return train[FEATURES].to_numpy(), train["churned"].to_numpy()


def get_test_data(frame):
    """The held-out rows: the last 20%."""
    test = frame.iloc[_split_point(frame) :]
    return test[FEATURES].to_numpy(), test["churned"].to_numpy()


@dataclass
class LogisticModel:
    weights: np.ndarray
    bias: float
    features: list

    def predict_proba(self, features):
        return 1 / (1 + np.exp(-(features @ self.weights + self.bias)))

    def predict(self, features):
        return (self.predict_proba(features) >= 0.5).astype(int)


def train_model(features, labels, epochs=2_000, learning_rate=0.5):
    weights = np.zeros(features.shape[1])
    bias = 0.0
    for _ in range(epochs):
        error = 1 / (1 + np.exp(-(features @ weights + bias))) - labels
        weights -= learning_rate * features.T @ error / len(labels)
        bias -= learning_rate * error.mean()
    return LogisticModel(weights=weights, bias=float(bias), features=list(FEATURES))


def evaluate_model(model, features, labels):
    predicted = model.predict(features)
    true_positive = int(((predicted == 1) & (labels == 1)).sum())
    return {
        "accuracy": float((predicted == labels).mean()),
        "precision": true_positive / max(int(predicted.sum()), 1),
        "recall": true_positive / max(int(labels.sum()), 1),
        "n_test": len(labels),
    }


@dataclass(frozen=True)
class Deployment:
    id: str
    version: int
    path: Path


def deploy_to_production(model):
    """Write the model into the registry as the next version; its id is its content hash."""
    registry = data_dir() / "model_registry"
    registry.mkdir(parents=True, exist_ok=True)
    payload = pickle.dumps(model)
    model_id = hashlib.sha256(payload).hexdigest()[:12]
    version = len(list(registry.glob("v*.pkl"))) + 1
    path = registry / f"v{version}-{model_id}.pkl"
    path.write_bytes(payload)
    return Deployment(id=model_id, version=version, path=path)


@asset
def training_data():
    return load_and_preprocess_data()

@asset
def feature_engineering(training_data):
    return create_features(training_data)

@asset
def trained_model(feature_engineering):
    features, labels = split_features_and_labels(feature_engineering)
    model = train_model(features, labels)
    return model

@asset
def model_evaluation(trained_model, feature_engineering):
    features, labels = get_test_data(feature_engineering)
    metrics = evaluate_model(trained_model, features, labels)
    return metrics

@asset
def deployed_model(trained_model, model_evaluation):
    if model_evaluation["accuracy"] > 0.85:
        deployed = deploy_to_production(trained_model)
        return {"model_id": deployed.id, "version": deployed.version}
    else:
        raise Exception("Model accuracy below threshold, not deploying")


defs = Definitions(
    assets=[training_data, feature_engineering, trained_model, model_evaluation, deployed_model]
)
