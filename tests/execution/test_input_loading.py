"""Inputs are loaded through their IO manager; values no later step needs are released."""

from __future__ import annotations

import gc
import json
import weakref
from typing import Any

import pytest

import headwater as hw


class Big:
    """A value large enough to matter, that a weakref can watch (pickled by the fs manager)."""

    def __init__(self) -> None:
        self.payload = bytearray(1_000_000)


def _source_and_mutator():
    """An asset returning a list, and a downstream asset that appends to its input."""

    @hw.asset
    def source():
        return [1, 2, 3]

    @hw.asset
    def mutator(source):
        source.append(4)
        return len(source)

    return source, mutator


def test_mutated_input_does_not_change_the_stored_upstream_value():
    """With materialize's filesystem IO manager, a downstream mutation stays in the downstream."""

    source, mutator = _source_and_mutator()
    result = hw.materialize([source, mutator])
    assert result.output_for_node("source") == [1, 2, 3]
    assert result.asset_value("mutator") == 4
    defs = hw.Definitions(assets=[source, mutator])
    assert defs.load_asset_value("source", instance=result.instance) == [1, 2, 3]


def test_in_memory_io_manager_hands_over_the_object_itself():
    """materialize_to_memory loads the stored object itself, so a mutation shows, as in Dagster."""

    source, mutator = _source_and_mutator()
    result = hw.materialize_to_memory([source, mutator])
    assert result.output_for_node("source") == [1, 2, 3, 4]


def test_every_input_from_an_upstream_step_emits_loaded_input():
    """Each input read from an upstream output emits LOADED_INPUT naming input, manager, upstream."""

    @hw.asset
    def a():
        return 1

    @hw.asset
    def b(a):
        return a + 1

    @hw.op
    def one():
        return 1

    @hw.op
    def plus(x):
        return x + 1

    @hw.job
    def ops():
        plus(one())

    for result in (hw.materialize([a, b]), hw.materialize_to_memory([a, b]),
                   ops.execute_in_process()):
        loaded = [e for e in result.all_events if e.event_type_value == "LOADED_INPUT"]
        assert len(loaded) == 1
        data = loaded[0].payload
        assert data.manager_key == "io_manager"
        assert (loaded[0].step_key, data.input_name, data.upstream_step_key,
                data.upstream_output_name) in {("b", "a", "a", "result"),
                                               ("plus", "x", "one", "result")}


def test_values_no_later_step_needs_are_released():
    """Under materialize (filesystem IO manager), the produced and the loaded value are freed
    once their last consumer ran."""
    watched: dict[str, weakref.ref[Big]] = {}
    alive: dict[str, bool] = {}

    @hw.asset
    def big():
        value = Big()
        watched["produced"] = weakref.ref(value)
        return value

    @hw.asset
    def consumer(big):
        watched["loaded"] = weakref.ref(big)
        return len(big.payload)

    @hw.asset
    def later(consumer):
        gc.collect()
        alive.update({name: ref() is not None for name, ref in watched.items()})
        return consumer

    result = hw.materialize([big, consumer, later])
    assert result.asset_value("later") == 1_000_000
    assert alive == {"produced": False, "loaded": False}
    assert isinstance(result.asset_value("big"), Big)  # read back from its file


def test_typed_dict_input_from_config_reads_any_members_from_sources(tmp_path):
    """A dict[str, Any] input takes each member as {'value': ...} or {'json': {'path': ...}};
    a bare member is refused, while a dict[str, str] takes bare strings."""
    seen = []

    @hw.op
    def take(x: dict[str, Any], y: dict[str, str]):
        seen.append((x, y))

    @hw.job
    def pipeline():
        take()

    path = tmp_path / "v.json"
    path.write_text(json.dumps([1, 2]))
    inputs = {"x": {"a": {"value": 1}, "b": {"json": {"path": str(path)}}}, "y": {"c": "d"}}
    assert pipeline.execute_in_process(run_config={"ops": {"take": {"inputs": inputs}}}).success
    assert seen == [({"a": 1, "b": [1, 2]}, {"c": "d"})]
    bad = {"x": {"a": "bare"}, "y": {}}
    with pytest.raises(hw.HeadwaterInvalidConfigError, match=r"ops.take.inputs.x.a"):
        pipeline.execute_in_process(run_config={"ops": {"take": {"inputs": bad}}})


def test_type_loader_config_reads_env_sources_and_defaults(monkeypatch):
    """A type loader receives its config processed: {env: VAR} read, defaults filled."""
    seen: list[Any] = []

    @hw.headwater_type_loader({"path": hw.StringSource,
                               "sep": hw.Field(str, is_required=False, default_value=",")})
    def from_path(_context, config):
        seen.append(config)
        return config["path"]

    path_type = hw.HeadwaterType(lambda _c, v: isinstance(v, str), name="PathValue",
                                 loader=from_path)

    @hw.op(ins={"where": hw.In(path_type)})
    def echo(where):
        return where

    @hw.job
    def echo_job():
        echo()

    monkeypatch.setenv("HW_LOADER_PATH", "/data/users.csv")
    result = echo_job.execute_in_process(
        run_config={"ops": {"echo": {"inputs": {"where": {"path": {"env": "HW_LOADER_PATH"}}}}}})
    assert result.output_for_node("echo") == "/data/users.csv"
    assert seen == [{"path": "/data/users.csv", "sep": ","}]
    # the run records the config as written, so the variable's value is not stored
    assert result.run_config["ops"]["echo"]["inputs"]["where"] == {"path": {"env": "HW_LOADER_PATH"}}
