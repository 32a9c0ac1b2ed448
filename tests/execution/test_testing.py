"""The test builders: build_op_context / build_asset_context / build_resources with an event loop."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import pytest

import headwater as hw


def _async_connection(log: list[str]):
    @hw.resource
    @asynccontextmanager
    async def connection():
        log.append(f"open on {id(asyncio.get_running_loop())}")
        yield "connected"
        log.append(f"close on {id(asyncio.get_running_loop())}")

    return connection


def test_build_op_context_enters_async_resources_on_the_given_loop():
    """event_loop= enters an @asynccontextmanager resource on that loop, and exits it there."""
    log: list[str] = []

    @hw.op(required_resource_keys={"db"})
    def query(context) -> str:
        return context.resources.db

    loop = asyncio.new_event_loop()
    try:
        with hw.build_op_context(resources={"db": _async_connection(log)},
                                 event_loop=loop) as context:
            assert query(context) == "connected"
            assert log == [f"open on {id(loop)}"]
        assert log == [f"open on {id(loop)}", f"close on {id(loop)}"]
    finally:
        loop.close()


def test_build_asset_context_enters_async_resources_on_the_given_loop():
    """build_asset_context(event_loop=) does the same for an asset called directly."""
    log: list[str] = []

    @hw.asset(required_resource_keys={"db"})
    def table(context: hw.AssetExecutionContext) -> str:
        return context.resources.db.upper()

    loop = asyncio.new_event_loop()
    try:
        with hw.build_asset_context(resources={"db": _async_connection(log)},
                                    event_loop=loop) as context:
            assert table(context) == "CONNECTED"
        assert log == [f"open on {id(loop)}", f"close on {id(loop)}"]
    finally:
        loop.close()


def test_build_resources_takes_an_event_loop_too():
    """build_resources(event_loop=) enters and exits async resources on that loop."""
    log: list[str] = []
    loop = asyncio.new_event_loop()
    try:
        with hw.build_resources({"db": _async_connection(log)}, event_loop=loop) as resources:
            assert resources.db == "connected"
        assert len(log) == 2
    finally:
        loop.close()


def test_an_async_resource_without_a_loop_is_refused_with_the_fix():
    """Without event_loop=, an @asynccontextmanager resource is refused, naming the argument."""
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="pass event_loop= to build_op_context"):
        hw.build_op_context(resources={"db": _async_connection([])})
