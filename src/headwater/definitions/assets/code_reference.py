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
    """Maps a file of the local checkout to its path in the repository.

    The base of the mappings `link_code_references_to_git` takes; subclass it and define
    `convert_to_mapped_path` for a layout AnchorBasedFilePathMapping cannot describe.

    Example:
        ```python
        from pathlib import Path

        from headwater import FilePathMapping

        class FlatMapping(FilePathMapping):
            def convert_to_mapped_path(self, local_path: Path) -> str:
                return "pipelines/" + Path(local_path).name

        assert FlatMapping().convert_to_mapped_path(Path("/home/me/x/assets.py")) == "pipelines/assets.py"
        ```
    """

    def convert_to_mapped_path(self, local_path: Path) -> str:
        raise NotImplementedError(f"{type(self).__name__} must define convert_to_mapped_path")


@dataclass(frozen=True)
class AnchorBasedFilePathMapping(FilePathMapping):
    """A FilePathMapping from one local directory to where it sits in the repository.

    Every file under the local anchor maps by its path relative to it. A file outside the
    anchor raises HeadwaterInvalidDefinitionError.

    Args:
        local_file_anchor: a local path, e.g. `Path(__file__).parent`.
        file_anchor_path_in_repository: where that path sits in the repository, e.g. "src/project".

    Example:
        ```python
        from pathlib import Path

        from headwater import AnchorBasedFilePathMapping

        mapping = AnchorBasedFilePathMapping(
            local_file_anchor=Path("/home/me/project"), file_anchor_path_in_repository="src")
        assert mapping.convert_to_mapped_path(Path("/home/me/project/assets.py")) == "src/assets.py"
        ```
    """

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
    """Record in each asset's metadata the file and line of the function that computes it.

    The UI shows these references beside the asset. Returns the same items, each computed
    asset's metadata listing its function's file and line (after any references it already
    has); items without a function (specs, external assets) come back unchanged.

    Args:
        assets_defs: asset definitions, and anything else passed to Definitions(assets=...).

    Example:
        ```python
        from headwater import asset, with_source_code_references

        @asset
        def orders() -> int:
            return 1

        [referenced] = with_source_code_references([orders])
        refs = referenced.specs[0].metadata["headwater/code_references"].code_references
        assert refs[0].line_number > 0
        ```
    """
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
    """Turn the local file references of assets into links to the same files in a git host.

    Use it after `with_source_code_references`, in deployments, so the UI links to GitHub or
    GitLab instead of a local path. Other items come back unchanged. A URL of another host, or
    a file the mapping cannot place, raises HeadwaterInvalidDefinitionError.

    Args:
        assets_defs: assets and specs carrying code references.
        git_url: the repository's URL on GitHub or GitLab.
        git_branch: the branch (or commit) to link to.
        file_path_mapping: maps a local file to its path in the repository.

    Example:
        ```python
        from pathlib import Path

        from headwater import (AnchorBasedFilePathMapping, asset,
                               link_code_references_to_git, with_source_code_references)

        @asset
        def orders() -> int:
            return 1

        here = Path(orders.op.compute_fn.__code__.co_filename).parent
        [linked] = link_code_references_to_git(
            with_source_code_references([orders]),
            git_url="https://github.com/acme/pipelines", git_branch="main",
            file_path_mapping=AnchorBasedFilePathMapping(here, "src"))
        ref = linked.specs[0].metadata["headwater/code_references"].code_references[0]
        assert ref.url.startswith("https://github.com/acme/pipelines/tree/main/src/")
        ```
    """
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
