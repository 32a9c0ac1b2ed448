"""A migration of one project folder (or file): plan it, apply it, report it.

`plan_migration` reads the project and decides everything before anything is written: the
new text of each file it rewrites, the new name of each file and folder whose name mentions
Dagster, the requirements it turned into headwater's, the private imports left, and the
files that mention Dagster but are not a kind it rewrites (lock files, data). A clash (both
`dagster.yaml` and `headwater.yaml` exist) stops it there, with nothing changed.
`apply_migration` then writes in place, or into a new folder (`out`) that receives a copy
of everything else unchanged. Folders of tools (`.git`, virtualenvs, `node_modules`,
caches) are neither read, renamed nor copied; binary files are copied, never rewritten.

Files renamed keep the user's package importable: the rename of a folder
(`dagster_project/` -> `headwater_project/`) is the rename of its imports
(`from dagster_project.assets import ...`), since both follow the same rule.
Imports `errors` and the other `migration` modules.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from headwater.errors import HeadwaterInvalidInvocationError
from headwater.migration.private_import import PrivateImport, private_imports
from headwater.migration.rename import mentions_dagster, rename_name, rename_text
from headwater.migration.requirement import RequirementChange, rewrite_requirements

# Folders that belong to tools, not to the project.
SKIPPED_FOLDERS = frozenset({
    ".git", ".hg", ".svn", ".venv", "node_modules", "__pycache__", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints"})
_SUFFIXES = frozenset({
    ".py", ".pyi", ".ipynb",  # Python, notebooks as their JSON text
    ".yaml", ".yml", ".toml", ".cfg", ".ini", ".env",  # configuration
    ".md", ".rst",  # the project's docs
    ".sh", ".bash", ".sql"})  # scripts, dbt models (their `meta: {dagster: ...}`)
# Files of other kinds up to this size are read, to list those that mention Dagster.
_LARGEST_READ = 4 * 1024 * 1024
_NAMES = re.compile(r"(?:\.env(?:\..+)?|\.envrc|Dockerfile(?:\..+)?|Makefile|"
                    r"(?:requirements|constraints)[\w.-]*\.txt)", re.IGNORECASE)


def rewritten_kind(path: Path) -> bool:
    """Whether a file of this name is one the migration rewrites."""
    return (path.suffix.lower() in _SUFFIXES or bool(_NAMES.fullmatch(path.name))
            or (path.suffix == ".txt" and path.parent.name == "requirements"))


def _requirement_style(path: Path) -> str | None:
    if path.name in ("pyproject.toml", "setup.py"):
        return "quoted"
    if path.name == "setup.cfg" or path.suffix == ".txt":
        return "lines"
    return None


@dataclass(frozen=True, slots=True)
class FileMigration:
    """One file of the project: where it goes, and its new text if the migration changes it."""

    source: Path  # relative to the project root
    target: Path  # relative to the project root (in place) or to `out`
    text: str | None = None  # None: the content stays as it is
    replacements: int = 0
    requirements: tuple[RequirementChange, ...] = ()
    private_imports: tuple[PrivateImport, ...] = ()
    left_alone: bool = False  # mentions Dagster, but is not a kind the migration rewrites


@dataclass(slots=True)
class Migration:
    """Everything one migration does, decided before anything is written."""

    root: Path
    out: Path | None
    files: list[FileMigration] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)  # relative; recreated under `out`
    renamed: list[tuple[Path, Path]] = field(default_factory=list)  # relative, own name only

    @property
    def rewritten(self) -> list[FileMigration]:
        return [f for f in self.files if f.text is not None]

    @property
    def left_alone(self) -> list[Path]:
        return [f.target for f in self.files if f.left_alone]

    @property
    def replacements(self) -> int:
        return sum(f.replacements for f in self.files)


def _read_text(path: Path) -> str | None:
    """The file's text, or None for a binary file (a NUL byte, or not UTF-8)."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _migrate_file(root: Path, source: Path, target: Path) -> FileMigration:
    path = root / source
    if path.is_symlink():  # its target is elsewhere, maybe outside the project
        return FileMigration(source, target)
    if not rewritten_kind(path):
        if path.stat().st_size > _LARGEST_READ:  # data, not worth reading for a mention
            return FileMigration(source, target)
        text = _read_text(path)
        return FileMigration(source, target, left_alone=text is not None
                             and mentions_dagster(text))
    text = _read_text(path)
    if text is None:
        return FileMigration(source, target)
    new, changes = rewrite_requirements(text, _requirement_style(path))
    new, count = rename_text(new)
    found = tuple(private_imports(new)) if path.suffix in (".py", ".pyi") else ()
    mapped = sum(1 for change in changes if change.after is not None)
    return FileMigration(source, target, new if new != text else None, count + mapped,
                         tuple(changes), found)


def _check_paths(root: Path, out: Path | None) -> None:
    if not root.exists():
        raise HeadwaterInvalidInvocationError(
            f"migrate: {root} does not exist; pass the folder of the project to port (or "
            "one of its files).")
    if out is None:
        return
    here = root.resolve() if root.is_dir() else root.resolve().parent
    there = out.resolve()
    if root.is_dir() and (there == here or here in there.parents):
        raise HeadwaterInvalidInvocationError(
            f"migrate: --out {out} is inside {here}, which would be copied into itself; "
            "pick a folder outside the project.")
    if there.exists() and (not there.is_dir() or any(there.iterdir())):
        raise HeadwaterInvalidInvocationError(
            f"migrate: --out {out} already exists and is not an empty folder; pick a new "
            "folder (migrate never overwrites).")


def plan_migration(path: Path, out: Path | None = None) -> Migration:
    """Decide the migration of the project at `path` (a folder or one file); write nothing.

    Raises:
        HeadwaterInvalidInvocationError: `path` is missing, `out` is inside it or not
            empty, or a renamed path would replace one that exists.
    """
    _check_paths(path, out)
    if path.is_file():
        root = path.parent
        entries: list[tuple[Path, bool]] = [(Path(path.name), False)]
    else:
        root = path
        entries = list(_walk(root))
    migration = Migration(root=root, out=out)
    for relative, is_folder in entries:
        target = _renamed(relative)
        if relative.name != rename_name(relative.name):
            migration.renamed.append((relative, relative.with_name(rename_name(relative.name))))
        if is_folder:
            migration.folders.append(target)
            continue
        migration.files.append(_migrate_file(root, relative, target))
    _check_clashes(migration)
    return migration


def _renamed(path: Path) -> Path:
    """A relative path with every part renamed: where it ends up."""
    return Path(*(rename_name(part) for part in path.parts))


def _walk(root: Path) -> Iterator[tuple[Path, bool]]:
    """(relative path, is a folder) of everything the migration reads, folders first. A
    symbolic link to a folder counts as a file: it is copied as a link, never followed."""
    for folder, names, files in os.walk(root):
        here = Path(folder)
        links = sorted(n for n in names if (here / n).is_symlink())
        names[:] = sorted(n for n in names if n not in SKIPPED_FOLDERS and n not in links
                          and not n.startswith(".tmp_dagster_home")  # `dagster dev`'s scratch
                          and not (here / n / "pyvenv.cfg").exists())
        for name in names:
            yield (here / name).relative_to(root), True
        for name in sorted([*files, *links]):
            yield (here / name).relative_to(root), False


def _check_clashes(migration: Migration) -> None:
    targets: dict[Path, Path] = {}
    for file in migration.files:
        if file.target in targets:
            raise HeadwaterInvalidInvocationError(
                f"migrate: {targets[file.target]} and {file.source} would both become "
                f"{file.target}; merge the two (or remove one) and run migrate again.")
        targets[file.target] = file.source
    if migration.out is not None:
        return
    for before, after in migration.renamed:
        if (migration.root / after).exists():
            raise HeadwaterInvalidInvocationError(
                f"migrate: {before} would be renamed to {after}, which exists; merge the two "
                f"(or remove one) and run migrate again.")


def apply_migration(migration: Migration) -> None:
    """Write the planned migration: in place, or into `migration.out`."""
    if migration.out is None:
        for file in migration.rewritten:
            assert file.text is not None
            (migration.root / file.source).write_bytes(file.text.encode("utf-8"))
        # deepest first, so that each rename happens while its parent has its old name
        for before, after in sorted(migration.renamed, key=lambda r: -len(r[0].parts)):
            (migration.root / before).rename(migration.root / after)
        return
    migration.out.mkdir(parents=True, exist_ok=True)
    for folder in migration.folders:
        (migration.out / folder).mkdir(parents=True, exist_ok=True)
    for file in migration.files:
        destination = migration.out / file.target
        destination.parent.mkdir(parents=True, exist_ok=True)
        if file.text is not None:
            destination.write_bytes(file.text.encode("utf-8"))
            shutil.copymode(migration.root / file.source, destination)
        else:
            shutil.copy2(migration.root / file.source, destination, follow_symlinks=False)


def migrate_project(path: Path, out: Path | None = None, dry_run: bool = False) -> Migration:
    """Plan the migration of `path` and, unless `dry_run`, apply it (see plan_migration)."""
    migration = plan_migration(path, out)
    if not dry_run:
        apply_migration(migration)
    return migration


def render(migration: Migration, dry_run: bool = False) -> str:
    """The report `headwater migrate` prints."""
    where = f"into {migration.out}" if migration.out is not None else "in place"
    rewritten = migration.rewritten
    verb = "Would rewrite" if dry_run else "Rewrote"
    lines = [f"{verb} {len(rewritten)} file(s) ({migration.replacements} replacement(s)) and "
             f"{'rename' if dry_run else 'renamed'} {len(migration.renamed)} path(s) {where}"
             + (" (dry run: nothing written)." if dry_run else ".")]
    if rewritten:
        lines.append("Files:")
        lines += [f"  {f.target}: {f.replacements}" for f in rewritten]
    if migration.renamed:
        lines.append("Renamed:")
        lines += [f"  {before} -> {_renamed(before)}" for before, _ in migration.renamed]
    requirements = [(f.target, c) for f in migration.files for c in f.requirements]
    if requirements:
        lines.append("Requirements:")
        lines += [f"  {source}:{c.line}: {c.describe()}" for source, c in requirements]
    found = [(f.target, p) for f in migration.files for p in f.private_imports]
    if found:
        lines.append("Private imports:")
        lines += [f"  {target}:{p.line}: {p.describe()}" for target, p in found]
    if migration.left_alone:
        lines.append("Left alone (they mention Dagster, but migrate does not rewrite their "
                     "kind; regenerate lock files, edit the rest by hand):")
        lines += [f"  {path}" for path in migration.left_alone]
    return "\n".join(lines)
