"""Source-code references on assets: the file and line of each asset's function, linked to
a git host through a path mapping, and kept through the metadata codec."""

from __future__ import annotations

from pathlib import Path

import pytest

import headwater as hw
from headwater.definitions.metadata.code_reference import CODE_REFERENCES_KEY
from headwater.definitions.metadata.codec import value_from_json, value_to_json
from headwater.errors import HeadwaterInvalidMetadata


@hw.asset(metadata={"owner_note": "kept"})
def _referenced():
    return 1


def _refs(assets_def):
    return assets_def.specs_by_key[assets_def.key].metadata[CODE_REFERENCES_KEY].code_references


def test_source_references_name_the_file_and_line_of_each_function():
    """with_source_code_references adds the defining file and line; other items and existing
    metadata are kept, and applying it twice adds nothing."""
    spec = hw.AssetSpec("external")
    first, same_spec = hw.with_source_code_references([_referenced, spec])
    (reference,) = _refs(first)
    assert reference == hw.LocalFileCodeReference(
        file_path=str(Path(__file__).resolve()),
        line_number=_referenced.op.compute_fn.__code__.co_firstlineno)
    assert first.specs_by_key[first.key].metadata["owner_note"] == "kept"
    assert same_spec is spec
    (again,) = hw.with_source_code_references([first])
    assert len(_refs(again)) == 1


def test_git_links_replace_local_references():
    """link_code_references_to_git maps each local file under the anchor to a GitHub or
    GitLab tree URL; a file outside the anchor or an unknown host is refused."""
    (with_refs,) = hw.with_source_code_references([_referenced])
    here = Path(__file__).parent
    mapping = hw.AnchorBasedFilePathMapping(local_file_anchor=here,
                                            file_anchor_path_in_repository="tests/definitions/assets")
    (github,) = hw.link_code_references_to_git([with_refs], "https://github.com/org/repo", "main",
                                               mapping)
    assert _refs(github) == (hw.UrlCodeReference(
        "https://github.com/org/repo/tree/main/tests/definitions/assets/test_code_reference.py"),)
    (gitlab,) = hw.link_code_references_to_git([with_refs], "https://gitlab.com/org/repo/", "dev",
                                               mapping)
    assert _refs(gitlab)[0].url.startswith("https://gitlab.com/org/repo/-/tree/dev/tests/")
    elsewhere = hw.AnchorBasedFilePathMapping(local_file_anchor=Path("/nonexistent/anchor"),
                                              file_anchor_path_in_repository="")
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="not under the anchor"):
        hw.link_code_references_to_git([with_refs], "https://github.com/o/r", "main", elsewhere)
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="GitHub and GitLab"):
        hw.link_code_references_to_git([with_refs], "https://example.org/o/r", "main", mapping)


def test_code_references_round_trip_through_the_metadata_codec():
    """Stored metadata decodes to the same references (as events and the UI read them)."""
    value = hw.CodeReferencesMetadataValue([hw.LocalFileCodeReference("/a.py", 3, label="a"),
                                            hw.UrlCodeReference("https://x/y", label="y")])
    assert value_from_json(value_to_json(value)) == value
    with pytest.raises(HeadwaterInvalidMetadata, match="got 'nope'"):
        hw.CodeReferencesMetadataValue(["nope"])
