"""The private imports a renamed project keeps, and what each becomes.

`from dagster._core.errors import DagsterError` is `from headwater._core.errors import
HeadwaterError` after the rename. headwater has no `_core` tree: `_compat` answers such paths
with headwater's public names, its tag-key constants and a few whole modules. This module
reads the renamed Python source and sorts each private import into three verdicts:

- "public": the name is public in headwater; the import works as is, and
  `from headwater import Name` is the better spelling;
- "answered": `_compat` answers it without a public name (a whole aliased module, a tag
  constant, a private module path imported whole);
- "unmapped": no headwater counterpart (`headwater._check`, a private helper); the import
  fails and the line needs changing by hand.

Imports `_compat` and `_exports` (plain tables) only.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from headwater._compat import MODULE_ALIASES, PRIVATE_ROOTS, TAG_CONSTANTS
from headwater._exports import EXPORTS


@dataclass(frozen=True, slots=True)
class PrivateImport:
    """One imported name (or module) of a private headwater path, with its verdict."""

    line: int
    statement: str
    verdict: str
    advice: str

    def describe(self) -> str:
        return f"{self.statement}: {self.advice}"


def _is_private(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "headwater" and any(p.startswith("_") for p in parts[1:])


def _answered_module(module: str) -> bool:
    return module in MODULE_ALIASES or any(
        module == root or module.startswith(root + ".") for root in PRIVATE_ROOTS)


def _verdict_for_name(module: str, name: str) -> tuple[str, str]:
    if module in MODULE_ALIASES:
        return "answered", f"works as is (the module is {MODULE_ALIASES[module]})"
    if not _answered_module(module):
        return "unmapped", f"unmapped: headwater has no module {module}; change this line"
    if name in EXPORTS:
        return "public", f"works as is; better `from headwater import {name}`"
    if name in TAG_CONSTANTS:
        return "answered", ("works as is (a tag-key constant, answered with headwater's "
                            f"{TAG_CONSTANTS[name]})")
    hint = ("; change this line (docs/migrating-from-dagster.md#private-dagster-imports)")
    if name.islower() and not name.startswith("_"):
        # _compat takes a lowercase name for a deeper module path, which imports; a function
        # of that name does not exist in headwater
        return "unmapped", (f"unmapped: {name} is not a public headwater name (as a Dagster "
                            f"module path it imports, offering public names only){hint}")
    return "unmapped", f"unmapped: {name} is not a public headwater name{hint}"


def _verdict_for_module(module: str) -> tuple[str, str]:
    if module in MODULE_ALIASES:
        return "answered", f"works as is (the module is {MODULE_ALIASES[module]})"
    if _answered_module(module):
        return "answered", "works as is for headwater's public names; import them from headwater"
    return "unmapped", f"unmapped: headwater has no module {module}; change this line"


def private_imports(source: str) -> list[PrivateImport]:
    """The private headwater imports of a Python source, in line order (none if it does not
    parse: the rename never makes a file unparseable, so it did not parse before either)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_private(alias.name):
                    verdict, advice = _verdict_for_module(alias.name)
                    found.append(PrivateImport(node.lineno, f"import {alias.name}", verdict,
                                               advice))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            module = node.module
            for alias in node.names:
                private_name = module == "headwater" and alias.name.startswith("_")
                if not (_is_private(module) or private_name):
                    continue
                if private_name:
                    verdict, advice = _verdict_for_module(f"headwater.{alias.name}")
                else:
                    verdict, advice = _verdict_for_name(module, alias.name)
                found.append(PrivateImport(node.lineno, f"from {module} import {alias.name}",
                                           verdict, advice))
    return sorted(found, key=lambda p: p.line)
