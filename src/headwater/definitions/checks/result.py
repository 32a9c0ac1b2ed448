"""What a check reports: `AssetCheckResult` from user code, `AssetCheckEvaluation` as recorded.

A result may leave out its asset and check name when the step evaluates one check; the engine
fills them in and records an evaluation, which also names the materialization the check saw
(`target_materialization_data`), whether the check blocks, and the partition.
`AssetCheckEvaluationPlanned` is recorded when a run that will evaluate a check starts.
Imports `key`, `metadata`, this room's `spec` and `errors`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from headwater.definitions.checks.spec import AssetCheckSeverity, to_severity
from headwater.definitions.key import AssetCheckKey, AssetKey, to_asset_key
from headwater.definitions.metadata.value import MetadataValue, normalize_metadata
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvariantViolationError


class AssetCheckResult:
    """The outcome of one check, returned or yielded by a check function.

    Also yielded by an asset with `check_specs` for the checks it reports. When the function
    evaluates one check, `asset_key` and `check_name` may be left out; a multi-check gives
    both. A `passed` that is not a boolean raises HeadwaterInvalidDefinitionError.

    Args:
        passed: whether the check passed.
        asset_key: the checked asset, when the function evaluates several checks.
        check_name: the check's name, when the function evaluates several checks.
        metadata: values recorded with the result (counts, samples).
        severity: AssetCheckSeverity of a failure (ERROR by default).
        description: a sentence shown with the result.

    Example:
        ```python
        from headwater import AssetCheckResult, AssetCheckSeverity, asset, asset_check, materialize

        @asset
        def prices() -> list[float]:
            return [9.5, 0.0]

        @asset_check(asset=prices)
        def no_zero_price(prices: list[float]) -> AssetCheckResult:
            zeros = sum(1 for p in prices if p == 0)
            return AssetCheckResult(passed=zeros == 0, severity=AssetCheckSeverity.WARN,
                                    metadata={"zero_prices": zeros})

        [evaluation] = materialize([prices, no_zero_price]).get_asset_check_evaluations()
        assert not evaluation.passed and evaluation.severity == AssetCheckSeverity.WARN
        ```
    """

    __slots__ = ("passed", "asset_key", "check_name", "metadata", "severity", "description")

    def __init__(
        self,
        *,
        passed: bool,
        asset_key: Any = None,
        check_name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        severity: Any = AssetCheckSeverity.ERROR,
        description: str | None = None,
    ):
        if not isinstance(passed, bool):
            try:  # numpy.bool_ and friends
                import numbers

                if isinstance(passed, numbers.Integral) or type(passed).__name__ == "bool_":
                    passed = bool(passed)
                else:
                    raise TypeError
            except TypeError:
                raise HeadwaterInvalidDefinitionError(
                    f"AssetCheckResult(passed=...) takes a bool, got {type(passed).__name__} "
                    f"({passed!r}). Pass passed=bool(...)."
                ) from None
        self.passed = passed
        self.asset_key: AssetKey | None = to_asset_key(asset_key) if asset_key is not None else None
        self.check_name = check_name
        self.metadata: dict[str, MetadataValue] = normalize_metadata(metadata) if metadata else {}
        self.severity = to_severity(severity, "AssetCheckResult")
        self.description = description

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AssetCheckResult):
            return NotImplemented
        return all(getattr(self, s) == getattr(other, s) for s in self.__slots__)

    def __hash__(self) -> int:
        return hash((self.passed, self.asset_key, self.check_name))

    def __repr__(self) -> str:
        target = f"{self.asset_key.to_user_string()}:" if self.asset_key else ""
        return (f"AssetCheckResult({target}{self.check_name or '?'} passed={self.passed}, "
                f"severity={self.severity.value})")


@dataclass(frozen=True, slots=True)
class AssetCheckEvaluationTargetMaterializationData:
    """The materialization a check evaluated: its event's storage id, run and time."""

    storage_id: int
    run_id: str
    timestamp: float


@dataclass(frozen=True, slots=True)
class AssetCheckEvaluation:
    """A check's recorded outcome, as stored in an ASSET_CHECK_EVALUATION event.

    What an AssetCheckResult becomes once a run records it; read it from run results
    (`get_asset_check_evaluations`) or the instance. Also what an external system reports
    through `instance.report_runless_asset_event`.

    Args:
        asset_key: the checked asset.
        check_name: the check's name.
        passed: whether the check passed.
        metadata: values recorded with the result.
        target_materialization_data: the materialization the check evaluated, if known.
        severity: AssetCheckSeverity of a failure.
        description: a sentence shown with the result.
        blocking: whether the check was blocking.
        partition: the partition evaluated, for a partitioned check.

    Example:
        ```python
        from headwater import AssetCheckEvaluation, AssetCheckKey

        evaluation = AssetCheckEvaluation(asset_key=["sales", "orders"], check_name="fresh",
                                          passed=True, metadata={"rows": 120})
        assert evaluation.asset_key.to_user_string() == "sales/orders"
        assert AssetCheckKey(evaluation.asset_key, evaluation.check_name).name == "fresh"
        ```
    """

    asset_key: AssetKey
    check_name: str
    passed: bool
    metadata: dict[str, Any] = field(default_factory=dict)
    target_materialization_data: AssetCheckEvaluationTargetMaterializationData | None = None
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR
    description: str | None = None
    blocking: bool | None = None
    partition: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "asset_key", to_asset_key(self.asset_key))
        object.__setattr__(self, "severity", to_severity(self.severity, "AssetCheckEvaluation"))
        object.__setattr__(self, "metadata",
                           normalize_metadata(self.metadata) if self.metadata else {})
        target = self.target_materialization_data
        if isinstance(target, Mapping):
            object.__setattr__(self, "target_materialization_data",
                               AssetCheckEvaluationTargetMaterializationData(**target))

    @property
    def asset_check_key(self) -> AssetCheckKey:
        return AssetCheckKey(self.asset_key, self.check_name)

    key = asset_check_key

    def with_metadata(self, metadata: Mapping[str, Any]) -> AssetCheckEvaluation:
        from dataclasses import replace

        return replace(self, metadata=dict(metadata))


@dataclass(frozen=True, slots=True)
class AssetCheckEvaluationPlanned:
    """A run that starts will evaluate this check (for this partition, if any)."""

    asset_key: AssetKey
    check_name: str
    partition: str | None = None

    @property
    def asset_check_key(self) -> AssetCheckKey:
        return AssetCheckKey(self.asset_key, self.check_name)


def check_results_of(result: Any, what: str) -> Iterator[AssetCheckResult]:
    """What a check function (`what` names it) returned, as AssetCheckResults (one, or a
    list of them); None is no result (the check stays planned, and is recorded as skipped
    when the run ends)."""
    if result is None:
        return
    if isinstance(result, AssetCheckResult):
        yield result
        return
    if isinstance(result, (list, tuple)) and all(isinstance(r, AssetCheckResult) for r in result):
        yield from result
        return
    raise HeadwaterInvariantViolationError(
        f"{what} returned {type(result).__name__} ({result!r}); a check returns "
        "AssetCheckResult(passed=...) (or yields one per check it evaluates).")
