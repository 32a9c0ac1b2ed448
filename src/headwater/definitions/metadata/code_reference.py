"""Where an asset's code lives: `LocalFileCodeReference` (a file and line) and
`UrlCodeReference` (a link, e.g. into a git host), carried in an asset's metadata under
`CODE_REFERENCES_KEY` as one `CodeReferencesMetadataValue`. The helpers that attach them to
assets live with the assets (`definitions/assets/code_reference.py`). Imports `errors` and
this room's `kind.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from headwater.definitions.metadata.kind import MetadataValue
from headwater.errors import HeadwaterInvalidMetadata

CODE_REFERENCES_KEY = "headwater/code_references"


@dataclass(frozen=True, slots=True)
class LocalFileCodeReference:
    """A file on the machine that loaded the code, and optionally a line in it.

    One entry of CodeReferencesMetadataValue. `with_source_code_references` adds one for
    each asset's definition; `link_code_references_to_git` turns them into UrlCodeReferences.

    Args:
        file_path: the file's absolute path.
        line_number: the line the definition starts on.
        label: shown instead of the path.

    Example:
        ```python
        from headwater import LocalFileCodeReference

        ref = LocalFileCodeReference(file_path="/src/pipeline/assets.py", line_number=12)
        assert ref.label is None and ref.line_number == 12
        ```
    """

    file_path: str
    line_number: int | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class UrlCodeReference:
    """A link to the code, e.g. a file in a git host's web view.

    Args:
        url: the link.
        label: shown instead of the URL.

    Example:
        ```python
        from headwater import UrlCodeReference

        ref = UrlCodeReference(url="https://git.example.com/repo/blob/main/assets.py#L12",
                               label="assets.py")
        assert ref.url.endswith("#L12")
        ```
    """

    url: str
    label: str | None = None


@dataclass(frozen=True, slots=True, init=False)
class CodeReferencesMetadataValue(MetadataValue):
    """The code references of an asset, shown as links beside it.

    Put it in an asset's metadata under `headwater/code_references`. Anything other than
    LocalFileCodeReference and UrlCodeReference raises HeadwaterInvalidMetadata.

    Args:
        code_references: the references, in display order.

    Example:
        ```python
        from headwater import (
            CodeReferencesMetadataValue, LocalFileCodeReference, UrlCodeReference, asset,
        )

        refs = CodeReferencesMetadataValue([
            LocalFileCodeReference("/src/pipeline/assets.py", line_number=8),
            UrlCodeReference("https://git.example.com/repo/blob/main/assets.py#L8"),
        ])

        @asset(metadata={"headwater/code_references": refs})
        def orders() -> list[int]:
            return [1, 2]

        assert len(refs.code_references) == 2
        ```
    """

    code_references: tuple[LocalFileCodeReference | UrlCodeReference, ...]

    def __init__(self, code_references: Sequence[LocalFileCodeReference | UrlCodeReference]):
        bad = [r for r in code_references
               if not isinstance(r, (LocalFileCodeReference, UrlCodeReference))]
        if bad:
            raise HeadwaterInvalidMetadata(
                f"CodeReferencesMetadataValue takes LocalFileCodeReference and UrlCodeReference "
                f"objects; got {bad[0]!r}.")
        object.__setattr__(self, "code_references", tuple(code_references))

    @property
    def value(self) -> CodeReferencesMetadataValue:
        return self
