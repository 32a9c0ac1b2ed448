"""Attaching source-code references to assets: `with_source_code_references` records the file
and line of each asset's function, and `link_code_references_to_git` turns those local paths
into links to the same files in a git host, through a `FilePathMapping` from the local
checkout to the repository. The references ride in each asset's metadata (see
`definitions/metadata/code_reference.py`). Imports this layer's `definition` and the
`metadata` layer.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from headwater.definitions.assets.definition import AssetsDefinition, AssetSpec
from headwater.definitions.metadata.code_reference import (
    CODE_REFERENCES_KEY,
    CodeReferencesMetadataValue,
    LocalFileCodeReference,
    UrlCodeReference,
)
from headwater.errors import HeadwaterInvalidDefinitionError

_Reference = LocalFileCodeReference | UrlCodeReference


class FilePathMapping:
    """Maps a file of the local checkout to its path in the repository."""

    def convert_to_mapped_path(self, local_path: Path) -> str:
        raise NotImplementedError(f"{type(self).__name__} must define convert_to_mapped_path")


@dataclass(frozen=True)
class AnchorBasedFilePathMapping(FilePathMapping):
    """One local path (`local_file_anchor`, e.g. `Path(__file__).parent`) and where the same
    path sits in the repository (`file_anchor_path_in_repository`, e.g. "src/project");
    every file under the anchor maps by its path relative to it."""

    local_file_anchor: Path
    file_anchor_path_in_repository: str

    def convert_to_mapped_path(self, local_path: Path) -> str:
        anchor = Path(os.path.abspath(self.local_file_anchor))
        path = Path(os.path.abspath(local_path))
        try:
            relative = path.relative_to(anchor)
        except ValueError:
            raise HeadwaterInvalidDefinitionError(
                f"Cannot map {str(path)!r} into the repository: it is not under the anchor "
                f"{str(anchor)!r}. Choose a local_file_anchor that contains every asset file "
                "(e.g. the project root)."
            ) from None
        mapped = Path(self.file_anchor_path_in_repository) / relative
        return mapped.as_posix().lstrip("/")


def _references(spec: AssetSpec) -> list[_Reference]:
    value = spec.metadata.get(CODE_REFERENCES_KEY)
    return list(value.code_references) if isinstance(value, CodeReferencesMetadataValue) else []


def _with_references(spec: AssetSpec, references: Sequence[_Reference]) -> AssetSpec:
    metadata = {**spec.metadata, CODE_REFERENCES_KEY: CodeReferencesMetadataValue(references)}
    return spec.replace_attributes(metadata=metadata)


def _source_of(assets_def: AssetsDefinition) -> LocalFileCodeReference | None:
    node = assets_def.node_def
    fn = getattr(node, "compute_fn", None) or getattr(node, "compose_fn", None)
    fn = inspect.unwrap(fn) if fn is not None else None
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    return LocalFileCodeReference(os.path.abspath(code.co_filename), code.co_firstlineno)


def with_source_code_references(assets_defs: Iterable[Any]) -> list[Any]:
    """The same items, each computed asset's metadata listing the file and line of its
    function (after any references it already has); other items come back unchanged."""
    out: list[Any] = []
    for item in assets_defs:
        source = _source_of(item) if isinstance(item, AssetsDefinition) else None
        if source is None:
            out.append(item)
            continue
        out.append(item.map_asset_specs(
            lambda spec, source=source: _with_references(
                spec, [*(r for r in _references(spec) if r != source), source])))
    return out


def _git_url(git_url: str, git_branch: str, path: str) -> str:
    host = urlparse(git_url).netloc.lower()
    base = git_url.rstrip("/")
    if "github" in host:
        return f"{base}/tree/{git_branch}/{path}"
    if "gitlab" in host:
        return f"{base}/-/tree/{git_branch}/{path}"
    raise HeadwaterInvalidDefinitionError(
        f"link_code_references_to_git knows GitHub and GitLab URLs; {git_url!r} is neither. "
        "Build UrlCodeReference(url=...) links yourself for other hosts."
    )


def link_code_references_to_git(assets_defs: Iterable[Any], git_url: str, git_branch: str,
                                file_path_mapping: FilePathMapping) -> list[Any]:
    """The same items, every local file reference replaced by a link to that file on
    `git_branch` of the repository at `git_url` (GitHub or GitLab)."""
    def link(spec: AssetSpec) -> AssetSpec:
        references = _references(spec)
        if not any(isinstance(r, LocalFileCodeReference) for r in references):
            return spec
        linked: list[_Reference] = [
            UrlCodeReference(_git_url(git_url, git_branch, file_path_mapping.convert_to_mapped_path(
                Path(r.file_path))), label=r.label)
            if isinstance(r, LocalFileCodeReference) else r for r in references]
        return _with_references(spec, linked)

    out: list[Any] = []
    for item in assets_defs:
        if isinstance(item, AssetsDefinition):
            out.append(item.map_asset_specs(link))
        elif isinstance(item, AssetSpec):
            out.append(link(item))
        else:
            out.append(item)
    return out
