"""The config an IO manager's contexts carry, when the IO manager is a Pythonic one."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from headwater import ConfigurableIOManagerFactory, IOManager, asset, materialize

SEEN: dict[str, Any] = {}


class Remembering(IOManager):
    def handle_output(self, context: Any, obj: Any) -> None:
        SEEN["output"] = context.resource_config
        SEEN["value"] = obj

    def load_input(self, context: Any) -> Any:
        SEEN["input"] = context.resource_config
        return SEEN["value"]


class RememberingFactory(ConfigurableIOManagerFactory):
    path: str
    schema_: str | None = Field(default=None, alias="schema")

    def create_io_manager(self, context: Any) -> Remembering:
        return Remembering()


def test_output_and_input_contexts_carry_the_factorys_fields_by_alias():
    """context.resource_config is the factory's config (keyed by alias), not the empty run
    config, in handle_output and load_input alike."""
    @asset
    def first() -> int:
        return 1

    @asset
    def second(first: int) -> int:
        return first + 1

    io = RememberingFactory(path="/data", schema="sales")
    assert materialize([first, second], resources={"io_manager": io}).success
    assert SEEN["output"] == {"path": "/data", "schema": "sales"}
    assert SEEN["input"] == {"path": "/data", "schema": "sales"}
