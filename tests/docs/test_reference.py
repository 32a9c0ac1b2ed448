"""Every public name has a place in the API reference (docs/reference/).

The reference pages are lists of mkdocstrings directives (`::: headwater.asset`), one page per
concept under docs/reference/api/ and one per integration package under
docs/reference/integrations/. These tests read the directives and fail when a public name is on
no page (a new name in headwater/_exports.py or an integration's `__all__` must be added to
the page of its concept) or when a page names something that is not public any more.
Reads files only: nothing is imported but the table of exports.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from headwater._exports import EXPORTS

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "reference"
_DIRECTIVE = re.compile(r"^::: (\S+)\s*$", re.M)


def _directives(folder: Path) -> dict[str, str]:
    """Each `::: name` of the pages in `folder`, with the page it is on."""
    found: dict[str, str] = {}
    for page in sorted(folder.glob("*.md")):
        for name in _DIRECTIVE.findall(page.read_text()):
            found[name] = page.name
    return found


def _dunder_all(path: Path) -> list[str] | None:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign):
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "__all__":
            return [n for n in ast.literal_eval(value) if not n.startswith("__")]
    return None


def _integration_names(package: Path) -> list[str]:
    """The dotted public names of an integration package: the `__all__` of its `__init__` and
    of its subpackages'; a package that exports nothing itself (`__all__ = []`, like
    headwater_aws) offers the public classes and functions of its modules instead."""
    names: list[str] = []
    for init in sorted(package.rglob("__init__.py")):
        dotted = ".".join(init.parent.relative_to(ROOT / "src").parts)
        exported = _dunder_all(init)
        names += [f"{dotted}.{n}" for n in exported or ()]
        if exported == []:
            for module in sorted(init.parent.glob("[!_]*.py")):
                tree = ast.parse(module.read_text())
                names += [f"{dotted}.{module.stem}.{node.name}" for node in tree.body
                          if isinstance(node, (ast.ClassDef, ast.FunctionDef))
                          and not node.name.startswith("_")]
    return names


def test_every_public_name_is_on_a_reference_page() -> None:
    """Each name of headwater._exports.EXPORTS has a directive, by its public or defining path."""
    directives = _directives(REFERENCE / "api")
    missing = [name for name, (module, attribute) in EXPORTS.items()
               if f"headwater.{name}" not in directives and f"{module}.{attribute}" not in directives]
    assert not missing, (
        f"{len(missing)} public names are on no page of docs/reference/api/: {', '.join(missing)}."
        " Add a line `::: headwater.<name>` to the page of its concept.")


def test_reference_pages_name_only_public_names() -> None:
    """No directive under docs/reference/api/ names something headwater does not export."""
    public = {f"headwater.{name}" for name in EXPORTS} | {
        f"{module}.{attribute}" for module, attribute in EXPORTS.values()}
    stale = [f"{name} ({page})" for name, page in _directives(REFERENCE / "api").items()
             if name not in public]
    assert not stale, f"not public names (remove them or export them): {', '.join(stale)}"


def test_every_integration_package_has_a_complete_page() -> None:
    """Each src/headwater_<tool> package has docs/reference/integrations/<package>.md, listing
    every name it exports and nothing else."""
    problems: list[str] = []
    for package in sorted((ROOT / "src").glob("headwater_*")):
        page = REFERENCE / "integrations" / f"{package.name}.md"
        if not page.exists():
            problems.append(f"{package.name}: no page {page.relative_to(ROOT)}")
            continue
        listed = set(_DIRECTIVE.findall(page.read_text()))
        names = _integration_names(package)
        problems += [f"{page.name}: {name} is missing" for name in names if name not in listed]
        problems += [f"{page.name}: {name} is not exported" for name in sorted(listed - set(names))]
    assert not problems, "\n".join(problems)
