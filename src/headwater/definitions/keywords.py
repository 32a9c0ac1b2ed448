"""A misspelled keyword argument is an error that names the keyword and the right spelling.

Python refuses an unknown keyword of an ordinary signature, but only says which one; a
function that takes `**kwargs` (for Dagster compatibility, or to pass options through)
refuses nothing, so `DailyPartitionsDefinition(timezon="America/New_York")` used to give UTC
without a word. Both cases end here:

- `check_keywords(owner, given, valid)` is called by a function that must take `**kwargs`,
  before it uses them;
- `guard_keywords(obj)` is applied once to every public name by `headwater/__init__.py`: a
  function is wrapped, a class's constructor is wrapped in place. The wrapper costs one call;
  only when Python itself refused a keyword while *binding* the call (the traceback has no
  frame inside the callee, so an error raised by the body is never touched) is the error
  re-raised with the closest valid keyword.

Imports only `headwater.errors`.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

_UNEXPECTED = re.compile(r"got an unexpected keyword argument '([^']+)'")


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option spelled most like `word`, if any is close enough to be a likely typo."""
    import difflib  # only on the error path

    found = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_keyword_error(owner: str, keyword: str, valid: Iterable[str]) -> TypeError:
    """`TypeError` for keyword `keyword` that `owner` does not take, with the likely fix."""
    options = sorted(set(valid))
    best = closest(keyword, options)
    hint = f" Did you mean '{best}'?" if best else ""
    listing = f" It takes: {', '.join(options)}." if options else " It takes no keyword arguments."
    return TypeError(f"{owner}() got an unexpected keyword argument '{keyword}'.{hint}{listing}")


def check_keywords(owner: str, given: Mapping[str, Any] | Iterable[str],
                   valid: Iterable[str]) -> None:
    """Raise for the first name in `given` that is not in `valid`."""
    allowed = set(valid)
    for name in given:
        if name not in allowed:
            raise unknown_keyword_error(owner, name, allowed)


def keyword_names(fn: Callable[..., Any]) -> list[str]:
    """The names `fn` accepts as keywords (positional-or-keyword and keyword-only)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in ("self", "cls")]


def _takes_var_keywords(fn: Callable[..., Any]) -> bool:
    # The code object, not inspect.signature: a @contextmanager helper shows the generator's
    # signature through __wrapped__, yet itself forwards **kwargs.
    code = getattr(fn, "__code__", None)
    return code is not None and bool(code.co_flags & inspect.CO_VARKEYWORDS)


def _wrap(fn: Callable[..., Any], owner: str,
          forwarded_to: Callable[[], list[str]]) -> Callable[..., Any]:
    # A function with **kwargs passes a caller's keyword on (to a parent constructor, a
    # generator behind @contextmanager...), so a refusal from one level down is still the
    # caller's misspelling when it names a keyword the caller gave.
    forwards = _takes_var_keywords(fn)

    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TypeError as exc:
            tb = exc.__traceback__
            match = _UNEXPECTED.search(str(exc))
            at_binding = tb is not None and tb.tb_next is None
            if match is None or not (at_binding or (forwards and match.group(1) in kwargs)):
                raise
            valid = keyword_names(fn) if at_binding else forwarded_to()
            raise unknown_keyword_error(owner, match.group(1), valid) from None

    guarded.__headwater_keywords_guarded__ = True  # type: ignore[attr-defined]
    return guarded


def _constructor(cls: type, name: str) -> Callable[..., Any] | None:
    """The Python function that `cls(...)` binds its arguments to for `name`, if any."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            impl = klass.__dict__[name]
            if isinstance(impl, staticmethod):
                impl = impl.__func__
            impl = getattr(impl, "__wrapped__", impl) if getattr(
                impl, "__headwater_keywords_guarded__", False) else impl
            return impl if inspect.isfunction(impl) else None
    return None


def _class_keywords(cls: type) -> list[str]:
    """Every keyword a constructor along the MRO names (a subclass forwards **kwargs up)."""
    names: list[str] = []
    for klass in cls.__mro__:
        for attr in ("__new__", "__init__"):
            impl = klass.__dict__.get(attr)
            impl = impl.__func__ if isinstance(impl, staticmethod) else impl
            if inspect.isfunction(impl):
                names += [n for n in keyword_names(impl) if n not in names]
    return names


def guard_keywords(obj: T) -> T:
    """`obj` with misspelled keywords reported with their fix (see the module docstring)."""
    if inspect.isclass(obj):
        if obj.__dict__.get("__headwater_keywords_guarded__") or any(
                base.__module__.split(".")[0] == "pydantic" or base.__module__ == "enum"
                for base in obj.__mro__[1:]):
            return obj
        for name in ("__new__", "__init__"):
            impl = _constructor(obj, name)
            if impl is not None:
                wrapped = _wrap(impl, obj.__name__, functools.partial(_class_keywords, obj))
                setattr(obj, name, staticmethod(wrapped) if name == "__new__" else wrapped)
        obj.__headwater_keywords_guarded__ = True  # type: ignore[attr-defined]
        return obj
    if inspect.isfunction(obj) and not getattr(obj, "__headwater_keywords_guarded__", False):
        return _wrap(obj, obj.__name__, functools.partial(keyword_names, obj))  # type: ignore[return-value]
    return obj


