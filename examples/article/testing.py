"""Testing and Local Development: the article's two unit tests.

Run them with `python -m pytest examples/article/testing.py`; the repository's
suite also collects them through tests/examples/test_article.py.

One change to the article: `test_customer_segment_asset` passes the two
upstream assets along with `customer_segments`. `materialize` runs only the
assets it is given, and an asset whose input is neither among them nor stored
anywhere cannot run; the article's one-asset list is rejected for that reason.
"""

import pytest
from _helpers import write_customers_csv
from customer_assets import customer_data, customer_segments, enriched_customer_data
from etl_ops import transform_data

from headwater import build_op_context, materialize


class InMemoryDatabase:
    """Stands in for the SQLite database of resources.py: same `store()`, rows kept in a list."""

    def __init__(self):
        self.rows = []

    def store(self, data):
        self.rows.append(dict(data))

    def fetch_all(self):
        merged = {}
        for row in self.rows:
            merged.update(row)
        return merged


def mock_database_resource():
    return InMemoryDatabase()


@pytest.fixture(autouse=True)
def _customers_csv(tmp_path, monkeypatch):
    """customer_data reads customers.csv from the working directory."""
    monkeypatch.chdir(tmp_path)
    write_customers_csv(tmp_path / "customers.csv")


def test_transform_operation():
    # Create a test context
    context = build_op_context()

    # Test the transform_data op with sample input
    result = transform_data(context, {"raw_data": [1, 2, 3]})

    # Verify output
    assert result["transformed_data"] == [10, 20, 30]

def test_customer_segment_asset():
    # Materialize an asset with test dependencies
    result = materialize(
        [customer_data, enriched_customer_data, customer_segments],
        resources={
            "database": mock_database_resource()
        }
    )

    # Verify the materialization was successful
    assert result.success
