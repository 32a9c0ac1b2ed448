"""Where an asset's code lives: `LocalFileCodeReference` (a file and line) and
`UrlCodeReference` (a link, e.g. into a git host), carried in an asset's metadata under
`CODE_REFERENCES_KEY` as one `CodeReferencesMetadataValue`. The helpers that attach them to
assets live with the assets (`definitions/assets/code_reference.py`). Imports `errors` and
this layer's `value`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from headwater.definitions.metadata.value import MetadataValue
from headwater.errors import HeadwaterInvalidMetadata

CODE_REFERENCES_KEY = "headwater/code_references"


@dataclass(frozen=True, slots=True)
class LocalFileCodeReference:
    """A file on the machine that loaded the code, and optionally a line in it."""

    file_path: str
    line_number: int | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class UrlCodeReference:
    """A link to the code, e.g. a file in a git host's web view."""

    url: str
    label: str | None = None


@dataclass(frozen=True, slots=True, init=False)
class CodeReferencesMetadataValue(MetadataValue):
    """The code references of an asset, shown as links beside it."""

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
