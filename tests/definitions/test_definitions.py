"""Definitions: the @definitions decorator and reconstruction metadata."""

import re

import pytest

import headwater as hw


def test_definitions_decorator_builds_definitions_on_call():
    """@definitions wraps a function; calling it returns its Definitions."""

    @hw.definitions
    def defs():
        return hw.Definitions(assets=[hw.AssetSpec("a")])

    assert isinstance(defs(), hw.Definitions)


def test_definitions_decorator_checks_signature_and_result():
    """Two parameters, or a non-Definitions result, are errors that say what is expected."""
    with pytest.raises(hw.HeadwaterInvariantViolationError, match=re.escape(
            "@definitions function '<lambda>' takes 2 parameters; give it none, or a single one "
            "to receive the load context.")):
        hw.definitions(lambda a, b: None)
    with pytest.raises(hw.HeadwaterInvariantViolationError, match="must return a Definitions"):
        hw.definitions(lambda: 1)()


def test_definitions_package_stays_importable():
    """headwater.definitions is still the package of definition modules."""
    import headwater.definitions.assets.definition as asset_module

    assert asset_module.AssetsDefinition is hw.AssetsDefinition


def test_with_reconstruction_metadata_requires_strings():
    """Reconstruction metadata is merged into metadata; non-string values are refused."""
    defs = hw.Definitions().with_reconstruction_metadata({"state": "abc"})
    assert defs.metadata["state"] == "abc"
    with pytest.raises(hw.HeadwaterInvariantViolationError, match="must be strings"):
        hw.Definitions().with_reconstruction_metadata({"state": {"a": 1}})
