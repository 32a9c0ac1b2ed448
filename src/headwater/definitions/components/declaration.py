"""A `defs.yaml` file: one or more YAML documents, each `type:` plus optional `attributes:`,
`post_processing:` and `template_vars_module:`.

The file is composed with PyYAML's node API so every key keeps its line; a bad key, a bad
value, a failing template or an unknown type raises `ComponentDeclarationError` naming the
file, the line and the key. Imports `component`, `post_processing` and `templates` of this
room, and `errors`.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pydantic
import yaml

from headwater.definitions.components.component import Component, ComponentLoadContext
from headwater.definitions.components.post_processing import PostProcessing
from headwater.definitions.components.templates import deferred_vars, render, template_scope
from headwater.errors import HeadwaterInvalidDefinitionError

_TOP_KEYS = ("type", "attributes", "post_processing", "template_vars_module")


class ComponentDeclarationError(HeadwaterInvalidDefinitionError):
    """A defs.yaml that cannot be turned into a component; says where and which key."""

    def __init__(self, file: Path, line: int | None, key: str | None, message: str):
        self.file, self.line, self.key = file, line, key
        where = f"{file}:{line}" if line else str(file)
        super().__init__(f"{where}: {f'{key}: ' if key else ''}{message}")


@dataclass(frozen=True)
class ComponentDeclaration:
    """One YAML document of a defs.yaml: the component type and its attribute nodes."""

    file: Path
    type_name: str
    attributes: dict[str, Any]
    node: yaml.MappingNode
    line: int
    post_processing: Any = None
    template_vars_module: str | None = None

    def key_line(self, loc: Sequence[Any], root: str = "attributes") -> int:
        """The line of `<root>.<loc...>`, or of the deepest part of it that exists."""
        node: yaml.Node = self.node
        line = self.line
        for part in (root, *loc):
            found = _entry(node, part)
            if found is None:
                break
            line, node = found[0].start_mark.line + 1, found[1]
        return line

    def load(self, context: ComponentLoadContext) -> tuple[Component, PostProcessing | None]:
        """The component, built from its rendered attributes, and its post-processing."""
        cls = self._component_class(context)
        scope = template_scope(context, self._template_module(context), cls)
        attributes = render(self.attributes, scope, [], self._template_error("attributes"),
                            deferred_vars(cls))
        rules = render(self.post_processing, scope, [], self._template_error("post_processing"))
        return self._build(cls, attributes, context), self._rules(rules)

    def _template_error(self, root: str) -> Any:
        def make(path: list[Any], message: str) -> ComponentDeclarationError:
            key = ".".join([root, *(str(p) for p in path)])
            return ComponentDeclarationError(self.file, self.key_line(path, root), key, message)
        return make

    def _template_module(self, context: ComponentLoadContext) -> ModuleType | None:
        name = self.template_vars_module
        if name is None:
            return None
        if name.startswith("."):
            name = context.module_name_for(self.file.parent) + name
        try:
            return importlib.import_module(name)
        except ImportError as exc:
            line = self.key_line([], "template_vars_module")
            raise ComponentDeclarationError(self.file, line, "template_vars_module",
                                            f"cannot import {name!r}: {exc}.") from exc

    def _build(self, cls: type[Component], attributes: dict[str, Any],
               context: ComponentLoadContext) -> Component:
        try:
            return cls.load(attributes, context)
        except pydantic.ValidationError as exc:
            error = exc.errors()[0]
            loc = [p for p in error["loc"] if p != "__root__"]
            key = ".".join(["attributes", *(str(p) for p in loc)])
            more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
            if error["type"] == "extra_forbidden":
                text = (f"{cls.__name__} has no attribute {str(loc[-1])!r}; remove it, or "
                        f"declare it as a field of {cls.__name__}")
            elif error["type"] == "missing":
                text = f"required by {cls.__name__}; add it under attributes"
            else:
                text = f"{error['msg']} (as {cls.__name__} declares it)"
            raise ComponentDeclarationError(self.file, self.key_line(loc), key,
                                            f"{text}{more}.") from exc
        except TypeError as exc:
            raise ComponentDeclarationError(self.file, self.key_line([]), "attributes",
                                            str(exc)) from exc

    def _rules(self, post_processing: Any) -> PostProcessing | None:
        """The `post_processing:` of this declaration, checked."""
        if post_processing is None:
            return None
        try:
            return PostProcessing.model_validate(post_processing)
        except pydantic.ValidationError as exc:
            error = exc.errors()[0]
            loc = list(error["loc"])
            key = ".".join(["post_processing", *(str(p) for p in loc)])
            text = ("unknown key" if error["type"] == "extra_forbidden" else error["msg"])
            raise ComponentDeclarationError(
                self.file, self.key_line(loc, "post_processing"), key,
                f"{text}; post_processing takes assets: [{{target, operation, attributes}}] "
                "with attributes among group_name, description, code_version, metadata, tags, "
                "owners, kinds.") from exc

    def _component_class(self, context: ComponentLoadContext) -> type[Component]:
        name = self.type_name
        if name.startswith("."):  # relative to the folder holding the defs.yaml
            name = context.module_name_for(self.file.parent) + name
        module_name, _, attr = name.rpartition(".")
        type_line = _child(self.node, "type")
        line = type_line.start_mark.line + 1 if type_line else self.line
        if not module_name:
            raise ComponentDeclarationError(self.file, line, "type", f"{self.type_name!r} is "
                                            "not a dotted path; write `type: package.module.Class`.")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ComponentDeclarationError(self.file, line, "type",
                                            f"cannot import {module_name!r}: {exc}.") from exc
        cls = getattr(module, attr, None)
        if not (isinstance(cls, type) and issubclass(cls, Component)):
            raise ComponentDeclarationError(
                self.file, line, "type", f"{self.type_name!r} is not a Component subclass"
                f"{' (no such name in ' + module_name + ')' if cls is None else ''}.")
        return cls


def _entry(node: yaml.Node, key: Any) -> tuple[yaml.Node, yaml.Node] | None:
    """(the node naming `key`, the node of its value) in a mapping or a sequence."""
    if isinstance(node, yaml.MappingNode):
        return next(((k, v) for k, v in node.value if k.value == str(key)), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key], node.value[key]
    return None


def _child(node: yaml.Node, key: Any) -> yaml.Node | None:
    found = _entry(node, key)
    return found[1] if found else None


def read_declarations(file: Path) -> list[ComponentDeclaration]:
    """Every document of a defs.yaml, checked for its top-level keys."""
    try:
        text = file.read_text()
        nodes = [n for n in yaml.compose_all(text, Loader=yaml.SafeLoader) if n is not None]
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ComponentDeclarationError(file, line, None, f"invalid YAML: {exc.problem}.") from exc
    declarations = []
    for node in nodes:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.MappingNode):
            raise ComponentDeclarationError(file, line, None, "a component is a mapping with "
                                            "`type:` and optional `attributes:`.")
        for key_node, _ in node.value:
            if key_node.value not in _TOP_KEYS:
                raise ComponentDeclarationError(
                    file, key_node.start_mark.line + 1, str(key_node.value),
                    f"unknown key; a component declaration has only {' and '.join(_TOP_KEYS)}.")
        data = yaml.SafeLoader(text).construct_document(node)
        type_name = data.get("type")
        if not isinstance(type_name, str) or not type_name:
            raise ComponentDeclarationError(file, line, "type", "missing; name the component "
                                            "class, e.g. `type: my_project.components.MyComponent`.")
        attributes = data.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise ComponentDeclarationError(file, (_child(node, "attributes") or node).start_mark.line + 1,
                                            "attributes", "must be a mapping of attribute names "
                                            "to values.")
        module = data.get("template_vars_module")
        if module is not None and not isinstance(module, str):
            raise ComponentDeclarationError(file, line, "template_vars_module", "must be a "
                                            "module name, e.g. `.template_vars`.")
        declarations.append(ComponentDeclaration(file, type_name, attributes, node, line,
                                                 data.get("post_processing"), module))
    return declarations
