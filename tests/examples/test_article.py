"""Every code example of the article, materialized or executed, with assertions on its data.

Resources, partitions and sensors arrive in headwater after the core engine;
their tests probe for the feature and skip, naming what is missing, until it
lands. They run in full against Dagster (after the reverse rename).
"""

import importlib
import pickle
import sqlite3

import numpy as np
import pandas as pd
import pytest

# The article's two tests, collected here as written (see examples/article/testing.py).
from testing import mock_database_resource, test_customer_segment_asset, test_transform_operation

import headwater
from headwater import build_op_context, materialize

__all__ = ["test_customer_segment_asset", "test_transform_operation"]

def materialize_all(module):
    """Materialize every asset a module's Definitions holds, in one run."""
    result = materialize(list(module.defs.assets))
    assert result.success
    return result


def test_quickstart_hello_asset():
    """Getting Started: materialize([hello_headwater]) stores the greeting."""
    from quickstart import hello_headwater

    result = materialize([hello_headwater])
    assert result.success
    assert result.asset_value("hello_headwater") == "Hello, Headwater!"


def test_customer_assets_segment_every_customer():
    """Software-Defined Assets: three clusters that recover the three customer groups."""
    import customer_assets

    result = materialize_all(customer_assets)
    customers = result.asset_value("customer_data")
    enriched = result.asset_value("enriched_customer_data")
    segments = result.asset_value("customer_segments")

    assert list(customers.columns) == ["customer_id", "name", "email", "customer_segment", "purchases"]
    assert len(enriched) == len(customers) == len(segments) == 120
    assert {"age", "annual_income"} <= set(enriched.columns)
    assert enriched[["age", "annual_income"]].notna().all().all()
    assert sorted(set(np.asarray(segments).tolist())) == [0, 1, 2]
    # Each generated group lands in exactly one cluster, and each cluster holds one group.
    pairs = pd.crosstab(customers["customer_segment"], np.asarray(segments))
    assert ((pairs > 0).sum(axis=1) == 1).all()
    assert ((pairs > 0).sum(axis=0) == 1).all()


def test_etl_pipeline_job():
    """Ops and Jobs: etl_pipeline runs extract -> transform -> load in process."""
    from etl_ops import etl_pipeline

    result = etl_pipeline.execute_in_process()
    assert result.success
    assert result.output_for_node("extract_data") == {"raw_data": [1, 2, 3, 4, 5]}
    assert result.output_for_node("transform_data") == {"transformed_data": [10, 20, 30, 40, 50]}
    assert result.output_for_node("load_data") == "Data loaded successfully"


def test_etl_op_called_directly_logs():
    """An op with a context argument can be called directly with build_op_context()."""
    from etl_ops import extract_data, load_data

    context = build_op_context()
    assert extract_data(context) == {"raw_data": [1, 2, 3, 4, 5]}
    assert load_data(context, {"transformed_data": []}) == "Data loaded successfully"


def test_type_system_job_sums_purchases_by_segment():
    """Type System: valid customers pass CustomerData and are aggregated per segment."""
    from type_system import customer_pipeline

    result = customer_pipeline.execute_in_process()
    assert result.success
    summary = result.output_for_node("process_customer_data")
    expected = pd.read_csv("customers.csv").groupby("customer_segment")["purchases"].sum()
    assert summary["purchases"].to_dict() == expected.to_dict()


def test_type_system_rejects_customers_without_email(article_workdir):
    """Type System: a customers.csv missing 'email' fails the CustomerData check at the op output."""
    from type_system import customer_pipeline

    pd.read_csv("customers.csv").drop(columns=["email"]).to_csv("customers.csv", index=False)
    result = customer_pipeline.execute_in_process(raise_on_error=False)
    assert not result.success
    with pytest.raises(headwater.HeadwaterTypeCheckDidNotPass):
        customer_pipeline.execute_in_process()


def test_type_check_function_as_written():
    """Type System: is_valid_customer_data accepts frames with the three required columns only."""
    from type_system import CustomerData, is_valid_customer_data

    assert CustomerData.display_name == "CustomerData"
    assert CustomerData.description == "A dataset of customer information with required fields"
    assert is_valid_customer_data(None, pd.read_csv("customers.csv"))
    assert not is_valid_customer_data(None, pd.DataFrame({"customer_id": [1], "name": ["a"]}))
    assert not is_valid_customer_data(None, [{"customer_id": 1, "name": "a", "email": "e"}])


def test_analytics_pipeline_stores_results_in_sqlite(article_workdir):
    """Resources: the database resource, configured by run config, writes to a real SQLite file."""
    resources = importlib.import_module("resources")

    db_path = article_workdir / "analytics.db"
    result = resources.analytics_pipeline.execute_in_process(
        run_config={
            "resources": {"database": {"config": {"connection_string": f"sqlite:///{db_path}"}}}
        }
    )
    assert result.success
    assert result.output_for_node("store_results") == "Success"
    with sqlite3.connect(db_path) as connection:
        stored = dict(connection.execute("SELECT metric, value FROM results"))
    assert stored == {"count": 5, "total": 15, "mean": 3.0, "max": 5}


def test_analytics_pipeline_with_mock_database():
    """Resources: the same job runs against an in-memory database passed as a resource."""
    resources = importlib.import_module("resources")

    database = mock_database_resource()
    result = resources.analytics_pipeline.execute_in_process(resources={"database": database})
    assert result.success
    assert database.fetch_all() == {"count": 5, "total": 15, "mean": 3.0, "max": 5}


def test_database_connection_rejects_unknown_scheme():
    """Resources: create_db_connection says which connection strings it accepts."""
    resources = importlib.import_module("resources")

    with pytest.raises(ValueError, match="sqlite:///path/to/file.db"):
        resources.create_db_connection("postgresql://localhost/db")
    memory = resources.create_db_connection("sqlite://")
    memory.store({"a": 1.5})
    assert memory.fetch_all() == {"a": 1.5}


def test_ml_pipeline_trains_evaluates_and_deploys(article_workdir):
    """Machine Learning Pipelines: the model clears the 0.85 gate and is written to the registry."""
    import ml_pipeline

    result = materialize_all(ml_pipeline)
    evaluation = result.asset_value("model_evaluation")
    deployed = result.asset_value("deployed_model")
    model = result.asset_value("trained_model")

    assert evaluation["accuracy"] > 0.85
    assert evaluation["n_test"] == 200
    assert deployed["version"] == 1
    (registered,) = (article_workdir / "data" / "model_registry").glob("v1-*.pkl")
    assert registered.name == f"v1-{deployed['model_id']}.pkl"
    restored = pickle.loads(registered.read_bytes())
    features, _ = ml_pipeline.get_test_data(result.asset_value("feature_engineering"))
    assert np.array_equal(restored.predict(features), model.predict(features))


def test_ml_quality_gate_refuses_weak_model():
    """Machine Learning Pipelines: deployed_model raises below 0.85 accuracy."""
    from ml_pipeline import deployed_model

    with pytest.raises(Exception, match="below threshold"):
        deployed_model(None, {"accuracy": 0.6})


def test_analytics_dashboard_adds_up():
    """Data Warehousing: dashboard totals equal the raw sales they summarise."""
    import analytics

    result = materialize_all(analytics)
    sales = result.asset_value("raw_sales_data")
    dimension = result.asset_value("customer_dimension")
    fact = result.asset_value("sales_fact")
    dashboard = result.asset_value("executive_dashboard")

    assert dimension["customer_key"].is_unique
    assert len(fact) == len(sales) == 500
    assert dashboard["total_revenue"] == pytest.approx(sales["amount"].sum())
    assert dashboard["total_orders"] == 500
    assert sum(s["share"] for s in dashboard["segments"]) == pytest.approx(1.0)
    assert {s["segment"] for s in dashboard["segments"]} == set(dimension["segment"])
    revenues = [s["revenue"] for s in dashboard["segments"]]
    assert revenues == sorted(revenues, reverse=True)
    assert dashboard["top_segment"] == dashboard["segments"][0]["segment"]


def test_etl_logs_sessions_and_database(article_workdir):
    """ETL: parsed logs are split into 30-minute sessions and loaded into SQLite."""
    import etl_logs

    result = materialize_all(etl_logs)
    lines = result.asset_value("extracted_website_logs")
    logs = result.asset_value("transformed_logs")
    sessions = result.asset_value("user_sessions")
    metrics = result.asset_value("session_metrics")

    assert len(logs) == len(lines) - 3  # the three malformed lines are dropped
    gap = pd.Timedelta(minutes=30)
    for _, visits in sessions.groupby("ip"):
        within = visits.groupby("session_id")["timestamp"].diff().dropna()
        assert (within <= gap).all()
        starts = visits.groupby("session_id")["timestamp"].min().sort_values()
        ends = visits.groupby("session_id")["timestamp"].max().reindex(starts.index)
        assert (starts.iloc[1:].to_numpy() - ends.iloc[:-1].to_numpy() > gap).all()
    assert metrics["page_views"].sum() == len(logs)
    assert result.asset_value("analytics_database")["status"] == "loaded"

    with sqlite3.connect(article_workdir / "data" / "analytics.db") as connection:
        rows, views = connection.execute(
            "SELECT COUNT(*), SUM(page_views) FROM session_metrics"
        ).fetchone()
    assert (rows, views) == (len(metrics), len(logs))


@pytest.mark.filterwarnings("ignore:.*op_config.*:DeprecationWarning")
def test_daily_sales_partitions():
    """Partitioning: each day's partition loads that day's sales, through the job's config."""
    partitions = importlib.import_module("partitions")

    assert partitions.my_partition_config.get_run_config_for_partition_key("2023-01-05") == {
        "date": "2023-01-05"
    }
    keys = partitions.daily_partitions.get_partition_keys()
    assert keys[:2] == ["2023-01-01", "2023-01-02"]

    job_def = partitions.defs.resolve_job_def("daily_sales_job")
    for day in ["2023-01-01", "2023-03-15"]:
        result = job_def.execute_in_process(partition_key=day)
        assert result.success
        sales = result.asset_value("daily_sales")
        assert (sales["date"] == day).all()
        assert sales.equals(partitions.load_sales_for_date(day))

    direct = materialize(
        [partitions.daily_sales],
        partition_key="2023-02-01",
        run_config=partitions.daily_sales_run_config("2023-02-01"),
    )
    assert set(direct.asset_value("daily_sales")["date"]) == {"2023-02-01"}


def test_new_file_sensor_requests_one_run_per_file(article_workdir):
    """Sensors: no files -> skip; two files -> two keyed run requests whose runs process them."""
    sensors = importlib.import_module("sensors")

    empty = sensors.new_file_sensor(headwater.build_sensor_context())
    assert empty.skip_reason.skip_message == "No new files found"

    inbox = article_workdir / "data" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "orders-1.csv").write_text("id,amount\n1,9.5\n2,3.0\n")
    (inbox / "orders-2.csv").write_text("id,amount\n3,1.0\n")

    result = sensors.new_file_sensor(headwater.build_sensor_context())
    assert [r.run_key for r in result.run_requests] == [
        "file_arrival_orders-1.csv",
        "file_arrival_orders-2.csv",
    ]
    processed = []
    for request in result.run_requests:
        run = sensors.process_new_files.execute_in_process(run_config=request.run_config)
        assert run.success
        processed.append(run.output_for_node("process_file"))
    assert processed == [{"file": "orders-1.csv", "rows": 2}, {"file": "orders-2.csv", "rows": 1}]
    assert sorted(p.name for p in (article_workdir / "data" / "processed").iterdir()) == [
        "orders-1.csv",
        "orders-2.csv",
    ]
    again = sensors.new_file_sensor(headwater.build_sensor_context())
    assert again.skip_reason.skip_message == "No new files found"


def test_every_module_exposes_definitions():
    """Each core article module exposes `defs` listing its assets or jobs."""
    names = {
        "quickstart": {"hello_headwater"},
        "customer_assets": {"customer_data", "enriched_customer_data", "customer_segments"},
        "ml_pipeline": {
            "training_data",
            "feature_engineering",
            "trained_model",
            "model_evaluation",
            "deployed_model",
        },
        "analytics": {
            "raw_sales_data",
            "raw_customer_data",
            "customer_dimension",
            "sales_fact",
            "revenue_by_segment",
            "executive_dashboard",
        },
        "etl_logs": {
            "extracted_website_logs",
            "transformed_logs",
            "user_sessions",
            "session_metrics",
            "analytics_database",
        },
    }
    for module_name, asset_names in names.items():
        module = importlib.import_module(module_name)
        keys = {a.key.to_user_string() for a in module.defs.assets}
        assert keys == asset_names, module_name
    assert {j.name for j in importlib.import_module("etl_ops").defs.jobs} == {"etl_pipeline"}
    assert {j.name for j in importlib.import_module("type_system").defs.jobs} == {
        "customer_pipeline"
    }
