"""Dagster's distributions in a project's requirements, turned into headwater's.

headwater is one distribution whose integrations come with extras, so `dagster-dbt` is not
renamed to a `headwater-dbt` that does not exist: it becomes `headwater[dbt]`, as
docs/migrating-from-dagster.md says. A version pin or extras on a Dagster distribution are
dropped (Dagster's version numbers say nothing about headwater's); environment markers stay.
A Dagster distribution with no headwater counterpart (`dagster-snowflake`) is left to the
plain rename and reported, so that the port does not hide it.

Requirements are found where they are written: one per line in requirements files and
setup.cfg, as quoted items of a list in pyproject.toml and setup.py, and after `pip install`
(`uv add`, `poetry add`, ...) in any text the migration rewrites. Imports `rename`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from headwater.migration.rename import rename_name

# Dagster's distribution -> the extras of headwater that carry its counterpart.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "dagster": (),
    "dagster-pipes": (),  # headwater_pipes ships in the headwater distribution
    "dagster-shell": (),
    "dagster-dg": (),  # dg's commands are headwater's (docs/components.md)
    "dagster-dg-cli": (),
    "dagster-webserver": ("ui",),
    "dagster-postgres": ("postgres",),
    "dagster-dask": ("dask",),
    "dagster-dbt": ("dbt",),
    "dagster-duckdb": ("duckdb",),
    "dagster-duckdb-pandas": ("duckdb",),
    "dagster-duckdb-polars": ("duckdb", "polars"),
    "dagster-duckdb-pyspark": ("duckdb", "pyspark"),
    "dagster-pandas": ("pandas",),
    "dagster-polars": ("polars",),
    "dagster-pyspark": ("pyspark",),
    "dagster-spark": ("pyspark",),
    "dagster-dlt": ("dlt",),
    "dagster-mlflow": ("mlflow",),
    "dagster-aws": ("aws",),
    "dagster-slack": ("slack",),
    "dagster-deltalake": ("deltalake",),
    "dagster-deltalake-pandas": ("deltalake",),
    "dagster-deltalake-polars": ("deltalake", "polars"),
    "dagster-pandera": ("pandera",),
}

# name, optional extras, optional version clauses, optional marker: the whole requirement
_REQUIREMENT = re.compile(r"""
    (?P<name>dagster(?:[-_.][A-Za-z0-9]+)*)\s*
    (?P<extras>\[[^\]]*\])?\s*
    (?P<pin>(?:(?:===|==|!=|~=|<=|>=|<|>)\s*[\w.*+!-]+\s*,?\s*)*)
    (?P<marker>;.*)?
    """, re.VERBOSE | re.IGNORECASE | re.DOTALL)
# one requirement a line, after an optional `key =` (setup.cfg's install_requires = ...)
_LINE = re.compile(r"^(?P<lead>[ \t]*(?:[\w.-]+[ \t]*=[ \t]*)?)(?P<req>dagster[^#\n]*?)"
                   r"(?P<trail>[ \t]*(?:#[^\n]*)?)$", re.MULTILINE | re.IGNORECASE)
# a quoted item of a list: ["dagster", "dagster-dbt>=0.24; python_version < '3.13'"]
_QUOTED = re.compile(r"(?P<lead>[\[,]\s*)(?P<q>[\"'])(?P<req>dagster(?:(?!(?P=q))[^\n])*)(?P=q)",
                     re.IGNORECASE)
# a key of a Poetry dependency table: dagster-dbt = "^0.25"
_TABLE = re.compile(r"^\s*\[(?P<header>[^\]\n]*)\]", re.MULTILINE)
_KEY = re.compile(r"^[ \t]*[\"']?(?P<req>dagster[\w.-]*)[\"']?[ \t]*=",
                  re.MULTILINE | re.IGNORECASE)
_COMMAND = re.compile(r"\b(?:pip3?\s+install|uv\s+pip\s+install|uv\s+add|poetry\s+add|"
                      r"pipx\s+install)\b[^\n&|;#]*")
_COMMAND_WORD = re.compile(r"(?<![\w./-])(?P<q>[\"']?)(?P<req>dagster[\w.-]*(?:\[[^\]]*\])?"
                           r"(?:(?:===|==|!=|~=|<=|>=|<|>)[\w.*+!,<>=~-]*)?)(?P=q)(?![\w.-])",
                           re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RequirementChange:
    """One Dagster requirement: what it became (None: no counterpart) and what was dropped."""

    line: int
    before: str
    after: str | None
    dropped: str = ""
    by_hand: str = ""  # set when the change is left to the user, saying what to write

    def describe(self) -> str:
        if self.by_hand:
            return f"{self.before}: {self.by_hand}"
        if self.after is None:
            name = _REQUIREMENT.fullmatch(self.before)
            renamed = rename_name(name.group("name") if name else self.before)
            return (f"{self.before}: no headwater counterpart (the rename leaves {renamed}, "
                    "which is not a distribution); see "
                    "docs/migrating-from-dagster.md#not-there-yet")
        dropped = f" (dropped {self.dropped}: Dagster's, not headwater's)" if self.dropped else ""
        return f"{self.before} -> {self.after}{dropped}"


def _normalized(name: str) -> str:
    """A distribution name as the package index compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name.lower())


def headwater_requirement(requirement: str) -> tuple[str, str] | None:
    """The headwater requirement for a Dagster one and what was dropped from it, or None
    when `requirement` is not a Dagster distribution headwater stands in for."""
    match = _REQUIREMENT.fullmatch(requirement.strip())
    if match is None:
        return None
    name = _normalized(match.group("name"))
    if name not in DISTRIBUTIONS:
        return None
    extras = DISTRIBUTIONS[name]
    marker = (match.group("marker") or "").strip()
    after = "headwater" + (f"[{','.join(extras)}]" if extras else "")
    after += f"; {marker[1:].strip()}" if marker else ""
    dropped = " and ".join(part for part in (
        f"the extras {match.group('extras')}" if match.group("extras") else "",
        f"the pin {match.group('pin').strip().rstrip(',')}" if match.group("pin").strip() else "",
    ) if part)
    return after, dropped


def _unmapped(requirement: str) -> bool:
    """A Dagster-looking distribution (hyphenated, as Dagster's are) headwater lacks."""
    match = _REQUIREMENT.fullmatch(requirement.strip())
    return bool(match and "-" in match.group("name")
                and headwater_requirement(requirement) is None)


def rewrite_requirements(text: str, style: str | None) -> tuple[str, list[RequirementChange]]:
    """`text` with its Dagster requirements turned into headwater's. `style` says where
    requirements are written besides install commands: "lines", "quoted" or None."""
    changes: list[RequirementChange] = []

    def line_of(position: int) -> int:
        return text.count("\n", 0, position) + 1

    def in_place(match: re.Match[str]) -> str:
        requirement = match.group("req")
        line = line_of(match.start("req"))
        mapped = headwater_requirement(requirement)
        if mapped is None:
            if _unmapped(requirement):
                changes.append(RequirementChange(line, requirement.strip(), None))
            return match.group(0)
        changes.append(RequirementChange(line, requirement.strip(), *mapped))
        start, end = (i - match.start() for i in match.span("req"))
        return match.group(0)[:start] + mapped[0] + match.group(0)[end:]

    if style == "lines":
        text = _LINE.sub(in_place, text)
    elif style == "quoted":
        text = _QUOTED.sub(in_place, text)

    def command(match: re.Match[str]) -> str:
        def word(inner: re.Match[str]) -> str:
            # a shell reads `headwater[dbt]` as a pattern (zsh refuses it): quote it
            needs_quotes = not inner.group("q")
            requirement = inner.group("req")
            line = line_of(match.start() + inner.start("req"))
            mapped = headwater_requirement(requirement)
            if mapped is None:
                if _unmapped(requirement):
                    changes.append(RequirementChange(line, requirement, None))
                return inner.group(0)
            changes.append(RequirementChange(line, requirement, *mapped))
            quote = "'" if needs_quotes and "[" in mapped[0] else inner.group("q")
            return quote + mapped[0] + quote
        return _COMMAND_WORD.sub(word, match.group(0))

    text = _COMMAND.sub(command, text)
    if style == "quoted":
        changes += _poetry_keys(text)
    return text, sorted(changes, key=lambda c: c.line)


def _poetry_keys(text: str) -> list[RequirementChange]:
    """Dagster distributions named as keys of a `...dependencies` table (Poetry's style),
    which one headwater key with extras replaces: reported for the user to write."""
    found = []
    tables = [(m.start(), m.group("header")) for m in _TABLE.finditer(text)]
    for match in _KEY.finditer(text):
        header = next((h for start, h in reversed(tables) if start < match.start()), "")
        mapped = headwater_requirement(match.group("req"))
        if not header.strip().endswith("dependencies") or mapped is None:
            continue
        extras = ", ".join(f'"{e}"' for e in DISTRIBUTIONS[_normalized(match.group("req"))])
        line = f'headwater = {{version = "*", extras = [{extras}]}}' if extras else \
            'headwater = "*"'
        found.append(RequirementChange(
            text.count("\n", 0, match.start()) + 1, match.group("req"), None,
            by_hand="a Poetry dependency key, which the rename only renames; write one "
                    f"headwater key for all of them, with their extras ({line})"))
    return found
