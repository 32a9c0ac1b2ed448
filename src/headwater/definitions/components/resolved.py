"""Resolvers: how a YAML value becomes the Python object a component field holds.

A field annotated `Annotated[T, Resolver(fn, model_field_type=M)]` is read from YAML as `M`
(checked by pydantic) and then turned into `T` by `fn(context, value)`. The ready-made
`ResolvedAssetKey` (`"a/b"` -> `AssetKey`), `ResolvedAssetSpec` (`{key, deps, ...}` ->
`AssetSpec`) and `ResolvedAssetCheckSpec` (`{name, asset, ...}` -> `AssetCheckSpec`) are
such fields, and work inside `list[...]`, `Sequence[...]`, `Optional[...]` and
`dict[str, ...]`. A field typed as another `Resolvable` class or `Model` is read from a
mapping. `Resolvable` and `Model` themselves live here, with the pydantic model of a
Resolvable's attributes (`attributes_model`). Imports `assets` and `checks`.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import pydantic

from headwater.definitions.assets.definition import AssetDep, AssetSpec
from headwater.definitions.checks.spec import AssetCheckSpec
from headwater.definitions.key import AssetKey


class Resolvable:
    """Mixin: the class's attributes are read from a `defs.yaml` `attributes:` mapping.

    The fields come from the dataclass fields, or else from the `__init__` signature.
    Pydantic checks each value against the field's annotation (unknown keys are refused),
    then fields annotated with a Resolver are converted; a field typed as another
    Resolvable class is read from a nested mapping. `ResolvedAssetKey` and
    `ResolvedAssetSpec` are ready-made resolved field types.

    Example:
        ```python
        from headwater import AssetSpec, Component, Definitions, Resolvable

        class Retry(Resolvable):
            def __init__(self, attempts: int = 3):
                self.attempts = attempts

        class Export(Component, Resolvable):
            def __init__(self, table: str, retry: Retry):
                self.table, self.retry = table, retry

            def build_defs(self, context) -> Definitions:
                return Definitions(assets=[AssetSpec(f"export_{self.table}")])

        export = Export.load({"table": "orders", "retry": {"attempts": 5}}, None)
        assert export.retry.attempts == 5
        ```
    """


class Model(pydantic.BaseModel):
    """A pydantic model for component attributes; unknown keys are refused.

    Inherit it beside Component when you want pydantic's features (validators,
    `pydantic.Field` descriptions) for the attributes of a defs.yaml.

    Args:
        **data: the attribute values, by field name.

    Example:
        ```python
        import pydantic

        from headwater import AssetKey, AssetSpec, Component, Definitions, Model, build_defs_for_component

        class Feed(Component, Model):
            url: str
            asset_name: str = pydantic.Field(description="the asset the feed lands in")

            def build_defs(self, context) -> Definitions:
                return Definitions(assets=[AssetSpec(self.asset_name, metadata={"url": self.url})])

        feed = Feed.load({"url": "https://example.com/feed.xml", "asset_name": "news"}, None)
        assert build_defs_for_component(feed).asset_keys == {AssetKey("news")}
        try:
            Feed.load({"url": "https://x", "asset_name": "n", "colour": "red"}, None)
        except pydantic.ValidationError as error:
            print(error.errors()[0]["loc"])
        ```
    """

    model_config = pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=True)


@dataclass(frozen=True)
class ResolutionContext:
    """What a resolver function gets beside the value: where in the attributes it is.

    `path` is the location of the value inside the attributes (field name, then list
    indexes or dict keys), for error messages. Templates are rendered before resolution.

    Args:
        path: the value's location in the attributes.
        scope: names available to the resolution.

    Example:
        ```python
        from typing import Annotated

        from headwater import Component, Definitions, Resolvable, ResolutionContext, Resolver

        def upper(context: ResolutionContext, value: str) -> str:
            print("resolving", context.path)  # ('codes', 0), then ('codes', 1)
            return value.upper()

        class Countries(Component, Resolvable):
            def __init__(self, codes: list[Annotated[str, Resolver(upper, model_field_type=str)]]):
                self.codes = codes

            def build_defs(self, context) -> Definitions:
                return Definitions()

        assert Countries.load({"codes": ["fr", "de"]}, None).codes == ["FR", "DE"]
        ```
    """

    path: tuple[Any, ...] = ()
    scope: dict[str, Any] = dataclasses.field(default_factory=dict)

    def at_path(self, part: Any) -> ResolutionContext:
        return dataclasses.replace(self, path=(*self.path, part))

    def resolve_value(self, value: Any, as_type: Any = None) -> Any:
        """`value` as it is (templates are rendered before resolution)."""
        return value


class Resolver:
    """Marks a field: read it from YAML as `model_field_type`, then convert it with `fn`.

    Use it in `Annotated[T, Resolver(fn, model_field_type=M)]` on a Resolvable's field:
    the YAML value is checked as `M`, then `fn(context, value)` turns it into the `T` the
    component receives. It works inside `list[...]`, `dict[str, ...]` and `Optional[...]`.
    `Resolver.default(description=...)` keeps the normal resolution and only documents.

    Args:
        fn: `fn(ResolutionContext, value) -> T`; None keeps the value as checked.
        model_field_type: the type the YAML value is checked as; default Any.
        model_field_name: the field's key in YAML, when it differs from the argument's name
            (the YAML then uses this name only).
        description: what the field is, shown in the attributes' JSON schema.
        examples: example YAML values, shown in the attributes' JSON schema.

    Example:
        ```python
        from datetime import timedelta
        from typing import Annotated

        from headwater import Component, Definitions, Resolvable, Resolver

        def minutes(context, value: int) -> timedelta:
            return timedelta(minutes=value)

        LagMinutes = Annotated[timedelta, Resolver(minutes, model_field_type=int,
                                                   description="lag in minutes")]

        class Freshness(Component, Resolvable):
            def __init__(self, max_lag: LagMinutes):
                self.max_lag = max_lag

            def build_defs(self, context) -> Definitions:
                return Definitions()

        assert Freshness.load({"max_lag": 90}, None).max_lag == timedelta(minutes=90)
        ```
    """

    def __init__(self, fn: Callable[[ResolutionContext, Any], Any] | None = None, *,
                 model_field_type: Any = None, model_field_name: str | None = None,
                 description: str | None = None, examples: list[Any] | None = None):
        self.fn = fn
        self.model_field_type = model_field_type
        self.model_field_name = model_field_name
        self.description = description
        self.examples = examples

    @classmethod
    def default(cls, *, model_field_type: Any = None, model_field_name: str | None = None,
                description: str | None = None, examples: list[Any] | None = None) -> Resolver:
        """Keep the default resolution, only documenting or renaming the field."""
        return cls(None, model_field_type=model_field_type, model_field_name=model_field_name,
                   description=description, examples=examples)


class AssetSpecModel(Model):
    """An asset spec as YAML writes it (`key: a/b`, `deps: [c]`, ...)."""

    key: str
    deps: list[str] = []
    description: str | None = None
    metadata: dict[str, Any] = {}
    group_name: str | None = None
    skippable: bool = False
    code_version: str | None = None
    owners: list[str] = []
    tags: dict[str, str] = {}
    kinds: list[str] = []

    def to_spec(self) -> AssetSpec:
        return AssetSpec(
            key=AssetKey.from_user_string(self.key),
            deps=[AssetDep(AssetKey.from_user_string(d)) for d in self.deps],
            description=self.description, metadata=self.metadata or None,
            group_name=self.group_name, skippable=self.skippable,
            code_version=self.code_version, owners=self.owners or None,
            tags=self.tags or None, kinds=set(self.kinds) or None)


class CheckSpecModel(Model):
    """An asset check spec as YAML writes it: `name`, the `asset` it checks, and how."""

    name: str
    asset: str
    description: str | None = None
    blocking: bool = False
    metadata: dict[str, Any] = {}

    def to_spec(self) -> AssetCheckSpec:
        return AssetCheckSpec(name=self.name, asset=AssetKey.from_user_string(self.asset),
                              description=self.description, blocking=self.blocking,
                              metadata=self.metadata or None)


def _spec(context: ResolutionContext, value: Any) -> Any:
    if isinstance(value, (AssetSpec, AssetCheckSpec)):
        return value
    return value.to_spec()


def _key(context: ResolutionContext, value: Any) -> AssetKey:
    return value if isinstance(value, AssetKey) else AssetKey.from_user_string(value)


ResolvedAssetKey = Annotated[AssetKey, Resolver(_key, model_field_type=str)]
ResolvedAssetSpec = Annotated[AssetSpec, Resolver(_spec, model_field_type=AssetSpecModel)]
ResolvedAssetCheckSpec = Annotated[AssetCheckSpec,
                                   Resolver(_spec, model_field_type=CheckSpecModel)]

Post = Callable[[ResolutionContext, Any], Any]


def _identity(context: ResolutionContext, value: Any) -> Any:
    return value


def model_type(hint: Any) -> tuple[Any, Post]:
    """The type pydantic checks a field against, and the function that turns the checked
    value into what the component receives."""
    if typing.get_origin(hint) is Annotated:
        inner, *extras = typing.get_args(hint)
        resolver = next((e for e in extras if isinstance(e, Resolver)), None)
        if resolver is not None:
            if resolver.fn is None:
                return model_type(inner if resolver.model_field_type is None
                                  else resolver.model_field_type)
            fn = resolver.fn
            return (Any if resolver.model_field_type is None else resolver.model_field_type,
                    lambda ctx, v: fn(ctx, v))
        return model_type(inner)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (list, collections.abc.Sequence, typing.Sequence, tuple) and args:
        item, post = model_type(args[0])
        return list[item], lambda ctx, v: [post(ctx.at_path(i), x) for i, x in enumerate(v)]  # type: ignore[valid-type]
    if origin in (dict, collections.abc.Mapping, typing.Mapping) and len(args) == 2:
        item, post = model_type(args[1])
        return (dict[args[0], item],  # type: ignore[valid-type]
                lambda ctx, v: {k: post(ctx.at_path(k), x) for k, x in v.items()})
    if origin in (typing.Union, types.UnionType) and args:
        parts = [model_type(a) for a in args]
        posts = [p for (t, p) in parts if p is not _identity]
        if len(posts) <= 1:
            post = posts[0] if posts else _identity
            union: Any = typing.Union[tuple(t for t, _ in parts)]  # noqa: UP007

            def maybe(ctx: ResolutionContext, v: Any, post: Post = post) -> Any:
                return None if v is None else post(ctx, v)
            return union, maybe
    if isinstance(hint, type) and issubclass(hint, Resolvable):
        model = attributes_model(hint)
        return model, lambda ctx, v: hint(**resolve_fields(hint, v, ctx))
    return hint, _identity


def _fields(cls: type) -> dict[str, tuple[Any, Any]]:
    """name -> (annotation, default or ...) of the constructor arguments of a Resolvable."""
    fields: dict[str, tuple[Any, Any]] = {}
    if dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls, include_extras=True)
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            if f.default is not dataclasses.MISSING:
                default: Any = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = pydantic.Field(default_factory=f.default_factory)
            else:
                default = ...
            fields[f.name] = (hints.get(f.name, Any), default)
        return fields
    init = cls.__init__  # type: ignore[misc]
    hints = typing.get_type_hints(init, include_extras=True)
    for param in list(inspect.signature(init).parameters.values())[1:]:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (hints.get(param.name, Any), default)
    return fields


def _field(hint: Any, default: Any) -> Any:
    """The pydantic field of one argument: a Resolver's `model_field_name` is its YAML key
    (an alias), its `description` and `examples` go into the model's JSON schema."""
    extras = typing.get_args(hint)[1:] if typing.get_origin(hint) is Annotated else ()
    resolver = next((e for e in extras if isinstance(e, Resolver)), None)
    if resolver is None or (resolver.model_field_name is None and resolver.description is None
                            and resolver.examples is None):
        return default
    if isinstance(default, pydantic.fields.FieldInfo):  # a dataclass default_factory
        given: dict[str, Any] = {"default_factory": default.default_factory}
    else:
        given = {} if default is ... else {"default": default}
    return pydantic.Field(**given, alias=resolver.model_field_name,
                          description=resolver.description, examples=resolver.examples)


def attributes_model(cls: type) -> type[pydantic.BaseModel]:
    """A pydantic model of the constructor arguments of a Resolvable class, each field typed
    as YAML writes it (a Resolver's `model_field_type`) under its YAML name."""
    fields = {name: (model_type(hint)[0], _field(hint, default))
              for name, (hint, default) in _fields(cls).items()}
    config = pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    return pydantic.create_model(f"{cls.__name__}Attributes", __config__=config, **fields)  # type: ignore[call-overload, no-any-return]


def resolve_fields(cls: type, attributes: Any,
                   context: ResolutionContext | None = None) -> dict[str, Any]:
    """The constructor arguments of `cls`: `attributes` checked by pydantic (a
    `pydantic.ValidationError` carries the location of each bad key), then resolved."""
    context = context or ResolutionContext()
    raw = attributes.model_dump() if isinstance(attributes, pydantic.BaseModel) else attributes
    raw = dict(raw or {})
    validated = attributes_model(cls).model_validate(raw)
    hints = _fields(cls)
    values = {}
    for name, field in type(validated).model_fields.items():
        if name in validated.model_fields_set or (field.alias or name) in raw:
            post = model_type(hints[name][0])[1]
            values[name] = post(context.at_path(name), getattr(validated, name))
    return values
