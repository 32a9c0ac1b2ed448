"""Snapshots: definitions as plain JSON data, with an id that follows the content."""

from __future__ import annotations

import json
from types import SimpleNamespace

from headwater import (
    AssetSpec,
    Definitions,
    Field,
    Noneable,
    Permissive,
    asset,
    define_asset_job,
    job,
    op,
    resource,
)
from headwater.code.run_config import validate_run_config
from headwater.code.snapshot import build_snapshot, config_json_schema, snapshot_id


@resource(config_schema={"url": str, "pool": Field(int, default_value=4, description="size")},
          description="The warehouse.")
def warehouse(context):
    return context.resource_config


@asset(group_name="sales", kinds={"python"}, owners=["team:data"], tags={"tier": "gold"},
       code_version="v1", metadata={"rows": 3}, description="Raw orders.")
def orders():
    return [1, 2]


@asset
def revenue(orders):
    return sum(orders)


@op(config_schema={"n": int})
def make(context) -> int:
    return context.op_config["n"]


@op
def double(x: int) -> int:
    return 2 * x


@job(tags={"team": "ops"}, description="Makes numbers.")
def numbers():
    double(make())


def _defs(**overrides) -> Definitions:
    kwargs = dict(assets=[orders, revenue, AssetSpec("upstream_file")],
                  jobs=[numbers, define_asset_job("sales_job", selection="orders")],
                  resources={"warehouse": warehouse})
    kwargs.update(overrides)
    return Definitions(**kwargs)


def test_snapshot_is_plain_json():
    """The whole snapshot survives a JSON round trip unchanged."""
    snap = build_snapshot(_defs(), "here")
    assert json.loads(json.dumps(snap)) == snap
    assert snap["location_name"] == "here"


def test_asset_entries_describe_the_graph():
    """Assets carry key, deps, group, kinds, owners, tags, code version, metadata, executability."""
    assets = {a["key_string"]: a for a in build_snapshot(_defs())["assets"]}
    assert sorted(assets) == ["orders", "revenue", "upstream_file"]
    first = assets["orders"]
    assert first["key"] == ["orders"] and first["group"] == "sales"
    assert (first["kinds"], first["owners"], first["tags"]) == (["python"], ["team:data"],
                                                                {"tier": "gold"})
    assert first["code_version"] == "v1" and first["description"] == "Raw orders."
    assert first["metadata"] == {"rows": {"type": "int", "value": 3}}
    assert first["io_manager_key"] == "io_manager" and first["partitions"] is None
    assert first["source"]["file"] == "test_snapshot.py"
    assert assets["revenue"]["deps"] == ["orders"]
    assert assets["upstream_file"]["is_executable"] is False
    assert assets["revenue"]["is_executable"] is True


def test_job_entries_hold_the_node_graph():
    """A job lists its nodes with typed inputs wired to upstream outputs and op config schemas."""
    jobs = {j["name"]: j for j in build_snapshot(_defs())["jobs"]}
    assert sorted(jobs) == ["numbers", "sales_job"]
    numbers_job = jobs["numbers"]
    assert numbers_job["tags"] == {"team": "ops"} and numbers_job["is_asset_job"] is False
    nodes = {n["name"]: n for n in numbers_job["nodes"]}
    assert nodes["double"]["inputs"][0]["type"] == "Int"
    assert nodes["double"]["inputs"][0]["depends_on"] == [{"node": "make", "output": "result"}]
    assert nodes["make"]["config_schema"]["required"] == ["n"]
    ops_schema = numbers_job["run_config_schema"]["properties"]["ops"]["properties"]
    assert ops_schema["make"]["properties"]["config"]["required"] == ["n"]
    sales = jobs["sales_job"]
    assert sales["is_asset_job"] and sales["asset_keys"] == ["orders"]
    assert sales["nodes"][0]["outputs"][0]["asset_key"] == "orders"


def test_resources_schedules_and_sensors():
    """Resources show their config schema; schedules and sensors their target job."""
    schedule = SimpleNamespace(name="nightly", cron_schedule="0 3 * * *", job_name="numbers",
                               description="every night")
    sensor = SimpleNamespace(name="on_file", job=numbers, minimum_interval_seconds=30)
    snap = build_snapshot(_defs(schedules=[schedule], sensors=[sensor]))
    [res] = snap["resources"]
    assert res["key"] == "warehouse" and res["description"] == "The warehouse."
    assert res["config_schema"]["properties"]["pool"] == {"type": "integer", "default": 4,
                                                          "description": "size"}
    assert snap["schedules"][0]["cron_schedule"] == "0 3 * * *"
    assert snap["schedules"][0]["job_name"] == "numbers"
    assert snap["sensors"][0]["job_name"] == "numbers"
    assert snap["sensors"][0]["minimum_interval_seconds"] == 30


def test_resources_show_the_version_they_declare():
    """A resource's, IO manager's or input manager's version= is shown with it (None when
    not declared)."""
    from headwater import InMemoryIOManager, input_manager, io_manager

    @resource(version="v2")
    def client():
        return "client"

    @io_manager(version="io-3")
    def store():
        return InMemoryIOManager()

    @input_manager(version="in-1")
    def loader(context):
        return 1

    snap = build_snapshot(_defs(resources={"warehouse": warehouse, "client": client,
                                           "io_manager": store, "loader": loader}))
    versions = {res["key"]: res["version"] for res in snap["resources"]}
    assert versions == {"client": "v2", "io_manager": "io-3", "loader": "in-1", "warehouse": None}
    assert client.version == "v2" and store.version == "io-3" and loader.version == "in-1"


def test_snapshot_id_follows_content():
    """Equal definitions give equal ids; a changed asset changes the id."""
    a, b = build_snapshot(_defs(), "x"), build_snapshot(_defs(), "y")
    assert a["snapshot_id"] == b["snapshot_id"] == snapshot_id(a)
    changed = build_snapshot(_defs(assets=[orders, revenue]))
    assert changed["snapshot_id"] != a["snapshot_id"]


def test_config_json_schema_covers_the_config_language():
    """Noneable, lists, permissive dicts and env sources map to JSON Schema constructs."""
    schema = config_json_schema({"tags": [str], "limit": Noneable(int),
                                 "extra": Permissive({"a": bool})})
    assert schema["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    # a Noneable field defaults to None
    assert schema["properties"]["limit"] == {"anyOf": [{"type": "integer"}, {"type": "null"}],
                                             "default": None}
    assert schema["properties"]["extra"]["additionalProperties"] is True
    assert schema["required"] == ["tags", "extra"]
    assert config_json_schema(None) is None


def test_validate_run_config_lists_every_problem():
    """Op and resource config problems come back together; a good config is valid."""
    defs = _defs()
    job_def = defs.get_job_def("numbers")
    # the job's ops use no resource, so warehouse config may be left out; when given, it
    # is still checked
    bad = validate_run_config(job_def, {"ops": {"make": {"config": {"n": "ten"}}},
                                        "resources": {"nope": {}, "warehouse": {"config": {}}}})
    assert bad["valid"] is False
    text = "\n".join(bad["errors"])
    assert "make" in text and "ten" in text and "warehouse" in text
    assert "nope" in text and len(bad["errors"]) == 3
    good = validate_run_config(job_def, {"ops": {"make": {"config": {"n": 1}}},
                                         "resources": {"warehouse": {"config": {"url": "u"}}}})
    assert good == {"valid": True, "errors": []}


def test_asset_entries_list_their_checks():
    """Each asset lists its checks: key, description, blocking, extra deps, JSON-safe metadata,
    and whether the asset's own step evaluates it."""
    from headwater import AssetCheckResult, AssetCheckSpec, MaterializeResult, asset_check

    @asset_check(asset=orders, blocking=True, description="No empty export.",
                 additional_deps=[AssetSpec("upstream_file")],
                 metadata={"owner": "data", "odd": {1, 2}})
    def not_empty():
        return AssetCheckResult(passed=True)

    @asset(check_specs=[AssetCheckSpec("positive", asset="summary")])
    def summary():
        return MaterializeResult(check_results=[AssetCheckResult(passed=True)])

    snap = build_snapshot(_defs(assets=[orders, revenue, AssetSpec("upstream_file"), summary],
                                asset_checks=[not_empty]))
    assert json.loads(json.dumps(snap)) == snap
    assets = {a["key_string"]: a for a in snap["assets"]}
    [check] = assets["orders"]["checks"]
    assert check["key"] == "orders:not_empty" and check["name"] == "not_empty"
    assert check["asset_key"] == "orders" and check["description"] == "No empty export."
    assert check["blocking"] is True and check["additional_deps"] == ["upstream_file"]
    assert check["metadata"]["owner"] == {"type": "text", "text": "data"}
    assert check["in_asset_step"] is False and check["op_name"]
    [own] = assets["summary"]["checks"]
    assert own["key"] == "summary:positive" and own["in_asset_step"] is True
    assert own["op_name"] == assets["summary"]["op_name"]
    assert assets["revenue"]["checks"] == []
