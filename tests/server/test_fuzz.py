"""The API fuzzed from its own OpenAPI spec (schemathesis): no input makes it answer 5xx."""

from __future__ import annotations

from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.server import create_app  # noqa: E402
from headwater.storage.instance import HeadwaterInstance  # noqa: E402

DEFS = """\
from headwater import Definitions, StaticPartitionsDefinition, asset, job, op

@asset(group_name="raw")
def orders():
    return [1]

@asset(partitions_def=StaticPartitionsDefinition(["a", "b"]), key_prefix=["p"])
def parts(context):
    return context.partition_key

@op(config_schema={"n": int})
def make(context):
    return context.op_config["n"]

@job
def numbers():
    make()

defs = Definitions(assets=[orders, parts], jobs=[numbers])
"""
# Streams never end by themselves; the API tests cover them.
_SKIPPED = ("/api/stream", "/api/runs/{run_id}/stream")


def _app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "defs.py").write_text(DEFS)
    instance = HeadwaterInstance.from_url(f"sqlite:///{root}/headwater.db", str(root))
    # any Host: the fuzzer's in-process client names its own (tests/reliability covers Hosts)
    return create_app(instance, [CodeLocationOrigin(python_file=str(root / "defs.py"))],
                      allowed_hosts=["*"])


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    app = _app(tmp_path_factory)
    yield app
    app.state.headwater.workspace.shutdown()
    app.state.headwater.instance.dispose()


def test_no_input_gets_a_server_error(app: Any) -> None:
    """Whatever the fuzzer sends to any operation, the answer is a 2xx, 3xx or 4xx."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    failures: list[str] = []
    calls: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path not in _SKIPPED]
    assert len(operations) > 25

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            # the header every client sends on writes, so body-less writes reach their route
            response = case.call(headers={"X-Headwater-Request": "1"})
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> "
                                f"{response.status_code}: {response.text[:300]}")

        check()
    assert not failures, "\n".join(failures[:20])
    assert len(calls) > 5 * len(operations)
