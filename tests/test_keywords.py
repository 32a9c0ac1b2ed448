"""Every public constructor and function refuses a misspelled keyword and names the fix."""

from __future__ import annotations

import enum
import inspect

import pytest

import headwater
from headwater.definitions.keywords import check_keywords, guard_keywords, keyword_names


def _misspell(name: str) -> str:
    return name[:-1] if len(name) > 3 else name + name[-1]


def _public_callables() -> list[tuple[str, object]]:
    found = []
    for name in headwater.__all__:
        value = getattr(headwater, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            found.append((name, value))
    return found


def _call_with(value: object, bad: str) -> None:
    """Call `value` with its required parameters filled by placeholders and one bad keyword."""
    try:
        sig = inspect.signature(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        sig = None
    args: list[object] = []
    kwargs: dict[str, object] = {}
    for param in (sig.parameters.values() if sig else ()):
        if param.default is not param.empty or param.kind in (param.VAR_POSITIONAL,
                                                                param.VAR_KEYWORD):
            continue
        if param.kind is param.POSITIONAL_ONLY:
            args.append(object())
        else:
            kwargs[param.name] = object()
    kwargs[bad] = None
    value(*args, **kwargs)  # type: ignore[operator]


def _refusal(name: str, value: object) -> str | None:
    """None if `value` refuses a misspelling of its first keyword with the fix; else why not."""
    if inspect.isclass(value) and issubclass(value, enum.Enum):
        return None  # Enum lookups take a value, not keywords
    if value is headwater.PermissiveConfig:
        return None  # takes extra fields by design
    keywords = keyword_names(value)  # type: ignore[arg-type]
    good = keywords[0] if keywords else None
    bad = _misspell(good) if good else "definitely_not_a_keyword"
    try:
        _call_with(value, bad)
    except TypeError as exc:
        message = str(exc)
        if not keywords and ("takes no" in message or f"'{bad}'" in message):
            return None  # nothing to suggest: it takes no keywords at all
        if inspect.isclass(value) and (inspect.isabstract(value) or "cannot be instantiated" in message):
            return None  # not constructible at all (an abstract base, a type marker)
        if f"'{bad}'" not in message:
            return f"{name}({bad}=...): TypeError does not name the keyword: {message}"
        if good and f"'{good}'" not in message:
            return f"{name}({bad}=...): TypeError does not suggest '{good}': {message}"
        return None
    except Exception as exc:  # pydantic's ValidationError names the field itself
        message = str(exc)
        if bad in message and "xtra" in message:
            return None
        return f"{name}({bad}=...): raised {type(exc).__name__} instead of TypeError: {message[:200]}"
    return f"{name}({bad}=...) was accepted"


def test_every_public_callable_refuses_a_misspelled_keyword():
    """Walk headwater.__all__: each class and function, called with one misspelled keyword,
    raises TypeError naming that keyword and the valid one it resembles."""
    problems = [p for name, value in _public_callables() if (p := _refusal(name, value))]
    assert problems == [], "\n".join(problems)


def test_daily_partitions_timezone_typo_is_refused():
    """The typo that used to give UTC silently now says what was meant."""
    with pytest.raises(TypeError, match="'timezon'.*Did you mean 'timezone'"):
        headwater.DailyPartitionsDefinition(start_date="2024-01-01", timezon="America/New_York")


def test_an_error_raised_inside_the_body_is_not_rewritten():
    """Only a refusal by Python's own argument binding gains a hint; the body's errors pass."""

    def body(x: int = 0) -> None:
        raise TypeError("got an unexpected keyword argument 'y'")

    guarded = guard_keywords(body)
    with pytest.raises(TypeError, match="^got an unexpected keyword argument 'y'$"):
        guarded(x=1)
    with pytest.raises(TypeError, match="body\\(\\) got an unexpected keyword argument 'xx'. "
                                        "Did you mean 'x'"):
        guarded(xx=1)


def test_check_keywords_lists_what_is_valid():
    """A **kwargs function checks its keywords and lists the valid ones."""
    with pytest.raises(TypeError, match="f\\(\\) got an unexpected keyword argument 'colour'. "
                                        "Did you mean 'color'\\? It takes: color, size."):
        check_keywords("f", {"colour": 1}, ["size", "color"])


def test_automation_condition_takes_only_a_condition():
    """automation_condition= is refused unless it is an AutomationCondition (or a policy)."""
    with pytest.raises(headwater.HeadwaterInvalidDefinitionError,
                       match="asset 'a': automation_condition= got object"):
        @headwater.asset(automation_condition=object())
        def a():
            return 1
    with pytest.raises(headwater.HeadwaterInvalidDefinitionError,
                       match="asset check 'a:c': automation_condition= got int"):
        headwater.AssetCheckSpec("c", asset="a", automation_condition=3)
    with pytest.raises(headwater.HeadwaterInvalidDefinitionError, match="AssetOut: automation"):
        headwater.AssetOut(automation_condition=object())



def test_load_assets_from_modules_applies_its_backfill_policy():
    """backfill_policy= reaches every loaded asset that has none of its own."""
    import types

    module = types.ModuleType("loaded_for_policy")

    @headwater.asset
    def plain():
        return 1

    @headwater.asset(backfill_policy=headwater.BackfillPolicy.single_run())
    def own():
        return 1

    module.plain, module.own = plain, own
    policy = headwater.BackfillPolicy.multi_run(max_partitions_per_run=3)
    loaded = {a.key.to_user_string(): a
              for a in headwater.load_assets_from_modules([module], backfill_policy=policy)}
    assert loaded["plain"].backfill_policy == policy
    assert loaded["own"].backfill_policy == headwater.BackfillPolicy.single_run()
