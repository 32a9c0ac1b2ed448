"""The reliability suite: tests that keep adversarial experiments (faults, bad input, hostile
web pages) as standing checks. Each test states the invariant it holds."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reliability: an invariant under faults or hostile input (tests/reliability)")
