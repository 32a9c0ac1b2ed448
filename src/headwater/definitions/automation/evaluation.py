"""Calling a schedule's or sensor's evaluation function as a user would: which parameter is
the context, which are resources, and what a direct call `my_sensor(context)` may pass.

Also owner validation, shared by schedules and sensors. Imports `errors` and
`definitions.config` (to recognize resource annotations) only.
"""

from __future__ import annotations

import inspect
import re
import sys
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from headwater.definitions.config.resource import ResourceDefinition, ResourceParam
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvalidInvocationError


def _is_resource_param(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated and any(
            m is ResourceParam for m in annotation.__metadata__):
        return True
    # configurable.py loads pydantic; until something imported it, no annotation can name a
    # ConfigurableResource, so `import headwater` stays light.
    configurable = sys.modules.get("headwater.definitions.config.configurable")
    if configurable is None:
        return isinstance(annotation, type) and issubclass(annotation, ResourceDefinition)
    try:
        return bool(configurable._is_resource_annotation(annotation))
    except Exception:
        return False


@dataclass(frozen=True)
class EvaluationSignature:
    """Which parameter of an evaluation function takes the context, which take resources."""

    context_param: str | None
    resource_params: tuple[str, ...]


def inspect_evaluation_fn(fn: Callable[..., Any]) -> EvaluationSignature:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return EvaluationSignature("context", ())
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:
        hints = {}
    if not hints and not inspect.isfunction(fn) and callable(fn):
        try:
            hints = typing.get_type_hints(type(fn).__call__, include_extras=True)
        except Exception:
            hints = {}
    context_param = None
    resources = []
    for param in params:
        if param.kind in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL):
            continue
        annotation = hints.get(param.name, param.annotation)
        if param.name != "context" and _is_resource_param(annotation):
            resources.append(param.name)
        elif context_param is None:
            context_param = param.name
    return EvaluationSignature(context_param, tuple(resources))


def invoke_evaluation_fn(kind: str, name: str, fn: Callable[..., Any], sig: EvaluationSignature,
                         args: tuple[Any, ...], kwargs: Mapping[str, Any],
                         build_context: Callable[[], Any],
                         required_resource_keys: Iterable[str] = ()) -> tuple[Any, Any]:
    """Direct invocation: work out the context and resources from args/kwargs, call `fn`,
    return (result, context). `kind` is 'sensor' or 'schedule'. Resources named only in
    `required_resource_keys` (read through `context.resources`) are built before the call,
    so that one that fails to build fails the evaluation, as it would in a tick."""
    title = kind.capitalize()
    kwargs = dict(kwargs)
    resource_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in sig.resource_params}
    if len(args) > 1 or (args and kwargs):
        if args and sig.resource_params and not kwargs:
            raise HeadwaterInvalidInvocationError(
                f"{title} '{name}' got resources by position. If directly invoking a {kind}, "
                "you may not provide resources as positional arguments, only as keyword "
                f"arguments: {name}(context, my_resource=...).")
        raise HeadwaterInvalidInvocationError(
            f"{title} '{name}' was called with {len(args) + len(kwargs)} arguments. {title} "
            "invocation received multiple non-resource arguments. Only a first positional "
            f"context parameter should be provided when invoking: {name}(context).")
    context: Any = None
    if args:
        context = args[0]
        if context is not None and not hasattr(context, "_resources_for"):
            if sig.resource_params:
                raise HeadwaterInvalidInvocationError(
                    f"{title} '{name}' got a resource by position. If directly invoking a "
                    f"{kind}, you may not provide resources as positional arguments, only as "
                    f"keyword arguments: {name}(my_resource=...).")
            raise HeadwaterInvalidInvocationError(
                f"{title} invocation: the context argument must be built with build_{kind}_"
                f"context(...), got {type(context).__name__}.")
    elif kwargs:
        key, value = next(iter(kwargs.items()))
        if len(kwargs) > 1 or (sig.context_param is not None and key != sig.context_param
                               and key != "context"):
            raise HeadwaterInvalidInvocationError(
                f"{title} invocation expected argument '{sig.context_param}'.")
        if sig.context_param is None and key != "context":
            raise HeadwaterInvalidInvocationError(
                f"{title} invocation got argument '{key}', but its function takes no context.")
        context = value
    elif sig.context_param is not None and not sig.resource_params and not resource_kwargs:
        raise HeadwaterInvalidInvocationError(
            f"{title} '{name}' takes a context. {title} evaluation function expected context "
            "argument, but no context argument was provided when invoking. Pass one: "
            f"{name}(build_{kind}_context()).")
    if context is None:
        context = build_context()
    call_kwargs = {}
    if sig.resource_params:
        available = context._resources_for(sig.resource_params, resource_kwargs)
        for key in sig.resource_params:
            if key not in available:
                raise HeadwaterInvalidDefinitionError(
                    f"Resource with key '{key}' required by {kind} '{name}' was not provided. "
                    f"Pass it with build_{kind}_context(resources={{'{key}': ...}}) or as "
                    f"{key}=... when invoking.")
            call_kwargs[key] = available[key]
    if not sig.resource_params and any(True for _ in required_resource_keys) and hasattr(
            context, "_required_resources"):
        context._required_resources(list(required_resource_keys))
    if sig.context_param is not None:
        call_kwargs[sig.context_param] = context
    return fn(**call_kwargs), context


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def validate_owners(owner: str, owners: Iterable[str] | None) -> list[str]:
    """Owners are user emails or team names prefixed with 'team:'."""
    for value in owners or ():
        if value.startswith("team:"):
            if not value[5:].strip():
                raise HeadwaterInvalidDefinitionError(
                    f"{owner}: owner {value!r} is invalid. Team name cannot be empty after "
                    "'team:' prefix; write e.g. 'team:data-eng'.")
        elif not _EMAIL.fullmatch(value):
            raise HeadwaterInvalidDefinitionError(
                f"{owner}: invalid owner {value!r}. Owner must be an email address or a team name "
                "prefixed with 'team:' (e.g. 'user@example.com' or 'team:data-eng').")
    return list(owners or ())
