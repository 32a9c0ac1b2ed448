"""Tests for headwater.definitions.metadata (value, table, codec): constructors, tables, normalisation, codec."""

from __future__ import annotations

import json
import math
import os
import pathlib
from datetime import date, datetime, timezone

import pytest

from headwater.definitions.key import AssetKey
from headwater.definitions.metadata.codec import metadata_from_jsonable, metadata_to_jsonable
from headwater.definitions.metadata.table import (
    TableColumn,
    TableColumnConstraints,
    TableColumnDep,
    TableColumnLineage,
    TableConstraints,
    TableRecord,
    TableSchema,
)
from headwater.definitions.metadata.value import (
    AssetMetadataValue,
    BoolMetadataValue,
    FloatMetadataValue,
    HeadwaterAssetMetadataValue,
    HeadwaterJobMetadataValue,
    HeadwaterRunMetadataValue,
    IntMetadataValue,
    JobMetadataValue,
    JsonMetadataValue,
    MarkdownMetadataValue,
    MetadataValue,
    NotebookMetadataValue,
    NullMetadataValue,
    PathMetadataValue,
    PoolMetadataValue,
    PythonArtifactMetadataValue,
    TableColumnLineageMetadataValue,
    TableMetadataValue,
    TableSchemaMetadataValue,
    TextMetadataValue,
    TimestampMetadataValue,
    UrlMetadataValue,
    normalize_metadata,
)
from headwater.errors import HeadwaterInvalidMetadata


def _schema() -> TableSchema:
    return TableSchema(
        columns=[
            TableColumn("id", "int", "primary key", TableColumnConstraints(False, True, ["> 0"])),
            TableColumn("name", tags={"pii": "yes"}),
        ],
        constraints=TableConstraints(["id unique"]),
    )


def _lineage() -> TableColumnLineage:
    return TableColumnLineage(
        {"total": [TableColumnDep(AssetKey(["raw", "orders"]), "amount"), TableColumnDep("fx", "rate")]}
    )


# --------------------------------------------------------------------------- constructors


def test_scalar_constructors_wrap_value():
    """text/int/float/bool/md/url build the matching kind and .value unwraps it."""
    assert MetadataValue.text("hi") == TextMetadataValue("hi")
    assert MetadataValue.text("hi").value == "hi"
    assert MetadataValue.int(3).value == 3
    assert MetadataValue.float(1.5).value == 1.5
    assert MetadataValue.bool(False).value is False
    assert MetadataValue.md("# t") == MarkdownMetadataValue("# t")
    assert MetadataValue.md("# t").value == "# t"
    assert MetadataValue.url("http://x").value == "http://x"
    assert isinstance(MetadataValue.url("http://x"), UrlMetadataValue)


def test_reprs_read_like_constructor_calls():
    """repr shows the class and its fields, as in Dagster."""
    assert repr(MetadataValue.int(3)) == "IntMetadataValue(value=3)"
    assert repr(MetadataValue.text("a")) == "TextMetadataValue(text='a')"
    assert repr(MetadataValue.md("m")) == "MarkdownMetadataValue(md_str='m')"
    assert repr(MetadataValue.path("/p")) == "PathMetadataValue(fspath='/p')"
    assert repr(MetadataValue.null()) == "NullMetadataValue()"
    assert (
        repr(MetadataValue.asset(AssetKey(["a", "b"])))
        == "HeadwaterAssetMetadataValue(asset_key=AssetKey(['a', 'b']))"
    )


def test_float_converts_int_and_int_accepts_bool():
    """float(3) becomes 3.0; int(True) is kept (bool is an int)."""
    v = MetadataValue.float(3)
    assert v.value == 3.0 and isinstance(v.value, float)
    assert MetadataValue.int(True).value is True


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: MetadataValue.int("3"), "MetadataValue.int(value=...) expects an int, got '3' (str)"),
        (lambda: MetadataValue.float("x"), "MetadataValue.float(value=...) expects a float"),
        (lambda: MetadataValue.float(True), "expects a float, got True (bool)"),
        (lambda: MetadataValue.text(3), "MetadataValue.text(text=...) expects a str, got 3 (int)"),
        (lambda: MetadataValue.bool(1), "MetadataValue.bool(value=...) expects a bool"),
        (lambda: MetadataValue.url(None), "MetadataValue.url(url=...) expects a str"),
        (lambda: MetadataValue.md(1), "MetadataValue.md(data=...) expects a str"),
        (lambda: MetadataValue.asset("a"), "MetadataValue.asset(asset_key=...) expects an AssetKey"),
        (lambda: MetadataValue.python_artifact(3), "expects a class or function"),
        (lambda: MetadataValue.table_schema({}), "expects a TableSchema"),
        (lambda: MetadataValue.column_lineage({}), "expects a TableColumnLineage"),
        (lambda: MetadataValue.job("j", None), "MetadataValue.job(location_name=...) expects a str"),
        (lambda: MetadataValue.timestamp("x"), "expects a float or a datetime"),
        (lambda: MetadataValue.headwater_run(1), "expects a str"),
        (lambda: MetadataValue.pool(1), "expects a str"),
    ],
)
def test_constructors_reject_wrong_types(call, fragment):
    """Each static constructor names itself, the argument, the expectation and what it got."""
    with pytest.raises(HeadwaterInvalidMetadata) as exc:
        call()
    assert fragment in str(exc.value)


def test_json_roundtrips_through_json_on_construction():
    """json data is stored as JSON would return it: tuples -> lists, keys -> strings."""
    v = MetadataValue.json({"a": (1, 2), 3: "x"})
    assert v == JsonMetadataValue({"a": [1, 2], "3": "x"})
    assert v.value == {"a": [1, 2], "3": "x"}
    assert MetadataValue.json([1, "a"]).value == [1, "a"]


def test_json_rejects_unserializable_data():
    """json with an object inside raises HeadwaterInvalidMetadata saying so."""
    with pytest.raises(HeadwaterInvalidMetadata, match="not JSON serializable"):
        MetadataValue.json({"a": object()})


def test_json_value_is_unhashable_like_its_data():
    """A JsonMetadataValue holding a dict cannot be hashed (as in Dagster)."""
    with pytest.raises(TypeError):
        hash(MetadataValue.json({"a": 1}))


def test_path_and_notebook_accept_pathlike():
    """path() and notebook() store os.fspath of a str or PathLike."""
    assert MetadataValue.path(pathlib.Path("/tmp/x")).value == "/tmp/x"
    assert MetadataValue.path("/tmp/x") == PathMetadataValue("/tmp/x")
    nb = MetadataValue.notebook(pathlib.Path("/n.ipynb"))
    assert nb == NotebookMetadataValue("/n.ipynb") and nb.value == "/n.ipynb"
    assert PathMetadataValue(None).fspath == ""


def test_python_artifact_records_module_and_name():
    """python_artifact(fn) keeps module and name; .value is the value object itself."""
    v = MetadataValue.python_artifact(os.path.join)
    assert (v.module, v.name) == (os.path.join.__module__, "join")
    assert v.value is v
    assert v == PythonArtifactMetadataValue(os.path.join.__module__, "join")


def test_asset_job_run_pool_values():
    """asset/job/headwater_run/pool wrap references; .value as in Dagster."""
    a = MetadataValue.asset(AssetKey(["a", "b"]))
    assert a.value == AssetKey(["a", "b"]) and isinstance(a, AssetMetadataValue)
    j = MetadataValue.job("etl", "loc", repository_name="repo")
    assert j == HeadwaterJobMetadataValue("etl", "loc", "repo") and j.value is j
    assert isinstance(j, JobMetadataValue)
    assert MetadataValue.job("etl", "loc").repository_name is None
    assert MetadataValue.headwater_run("r1") == HeadwaterRunMetadataValue("r1")
    assert MetadataValue.headwater_run("r1").value == "r1"
    p = MetadataValue.pool("db")
    assert p == PoolMetadataValue("db") and p.value == "db" and p.name == "db"


def test_timestamp_from_float_int_and_aware_datetime():
    """timestamp() takes epoch seconds or an aware datetime; value is a float."""
    assert MetadataValue.timestamp(1.5) == TimestampMetadataValue(1.5)
    assert MetadataValue.timestamp(2).value == 2.0
    dt = datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert MetadataValue.timestamp(dt).value == 1704067200.0


def test_timestamp_rejects_naive_datetime():
    """A naive datetime is refused with the fix in the message."""
    with pytest.raises(HeadwaterInvalidMetadata, match="timezone-aware"):
        MetadataValue.timestamp(datetime(2024, 1, 1))


def test_null_value_is_none_and_truthy():
    """null().value is None; the value object itself is truthy."""
    assert MetadataValue.null().value is None
    assert MetadataValue.null() == NullMetadataValue()
    assert bool(MetadataValue.null())


def test_values_are_frozen_and_hashable():
    """Scalar values are immutable and usable as dict keys."""
    v = MetadataValue.int(3)
    with pytest.raises(AttributeError):
        v.value = 4  # type: ignore[misc]
    assert {v: 1}[MetadataValue.int(3)] == 1


def test_equality_requires_same_kind():
    """Unlike Dagster's tuples, an int and a float (or text and url) of equal value differ."""
    assert MetadataValue.int(3) != MetadataValue.float(3.0)
    assert MetadataValue.text("a") != MetadataValue.url("a")
    assert MetadataValue.path("a") != MetadataValue.notebook("a")
    assert MetadataValue.int(3) != (3,)


def test_concrete_kinds_need_their_fields():
    """Building a kind without its field is an error, not a silent default."""
    with pytest.raises(TypeError):
        TextMetadataValue()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        UrlMetadataValue()  # type: ignore[call-arg]


# --------------------------------------------------------------------------- tables


def test_table_column_defaults():
    """TableColumn defaults to type 'string', no description, nullable non-unique, no tags."""
    c = TableColumn("a")
    assert (c.name, c.type, c.description, c.tags) == ("a", "string", None, {})
    assert c.constraints == TableColumnConstraints(nullable=True, unique=False, other=[])


def test_table_column_validation():
    """Non-string type and non-string tag values are rejected with the column named."""
    with pytest.raises(HeadwaterInvalidMetadata, match="TableColumn 'a': type must be a string"):
        TableColumn("a", 3)  # type: ignore[arg-type]
    with pytest.raises(HeadwaterInvalidMetadata, match="tags must map strings to strings"):
        TableColumn("a", tags={"x": 1})  # type: ignore[dict-item]


def test_table_constraints_require_a_list():
    """TableConstraints(other) requires a list of strings."""
    assert TableConstraints(["x"]).other == ["x"]
    assert TableConstraints(other=("a",)).other == ["a"]
    with pytest.raises(HeadwaterInvalidMetadata):
        TableConstraints(None)  # type: ignore[arg-type]


def test_table_schema_defaults_and_from_dict():
    """TableSchema has empty table constraints by default; from_name_type_dict builds columns."""
    s = TableSchema([TableColumn("a", "int")])
    assert s.constraints == TableConstraints([])
    assert TableSchema.from_name_type_dict({"a": "int", "b": "str"}) == TableSchema(
        [TableColumn("a", "int"), TableColumn("b", "str")]
    )


def test_table_schema_rejects_non_columns():
    """A bare string instead of a TableColumn is refused with the fix."""
    with pytest.raises(HeadwaterInvalidMetadata, match="TableColumn"):
        TableSchema(["a"])  # type: ignore[list-item]


def test_table_record_accepts_scalars_only():
    """TableRecord values must be str/int/float/bool/None; keys must be strings."""
    r = TableRecord({"a": 1, "b": "x", "c": None, "d": 1.5, "e": True})
    assert r.data["a"] == 1 and r == TableRecord(data={"a": 1, "b": "x", "c": None, "d": 1.5, "e": True})
    with pytest.raises(HeadwaterInvalidMetadata, match="column 'a' must be a scalar") as exc:
        TableRecord({"a": [1]})
    assert "list" in str(exc.value)
    with pytest.raises(HeadwaterInvalidMetadata, match="column names must be strings"):
        TableRecord({1: 1})  # type: ignore[dict-item]


def test_table_infers_schema_from_first_record():
    """table(records) without schema infers int/string/float/bool columns (None -> string)."""
    t = MetadataValue.table([TableRecord({"a": 1, "b": "x", "c": 1.5, "d": True, "e": None})])
    assert t.schema is not None
    assert [(c.name, c.type) for c in t.schema.columns] == [
        ("a", "int"), ("b", "string"), ("c", "float"), ("d", "bool"), ("e", "string"),
    ]
    assert t.value is t
    assert isinstance(t, TableMetadataValue)


def test_table_keeps_given_schema():
    """An explicit schema is kept as given."""
    schema = TableSchema([TableColumn("b", "int")])
    assert MetadataValue.table([TableRecord({"a": 1})], schema).schema == schema


def test_table_records_must_share_columns():
    """Records with different columns are refused, naming both column sets."""
    with pytest.raises(HeadwaterInvalidMetadata, match="same columns"):
        MetadataValue.table([TableRecord({"a": 1}), TableRecord({"b": 1})])


def test_empty_table_needs_schema():
    """table([]) without a schema is refused; with one it is fine."""
    with pytest.raises(HeadwaterInvalidMetadata, match="needs schema="):
        MetadataValue.table([])
    assert MetadataValue.table([], TableSchema([TableColumn("a")])).records == []


def test_table_schema_value():
    """table_schema(schema).value is the schema."""
    s = _schema()
    v = MetadataValue.table_schema(s)
    assert v == TableSchemaMetadataValue(s) and v.value == s


def test_column_dep_coerces_asset_key():
    """TableColumnDep takes an AssetKey, a string (one part) or a list of parts."""
    assert TableColumnDep("a/b", "c").asset_key == AssetKey(["a/b"])
    assert TableColumnDep(["a", "b"], "c").asset_key == AssetKey(["a", "b"])
    with pytest.raises(HeadwaterInvalidMetadata, match="asset_key"):
        TableColumnDep(3, "c")  # type: ignore[arg-type]


def test_column_lineage_value_and_validation():
    """column_lineage(...).value is the lineage; deps must be TableColumnDep objects."""
    lin = _lineage()
    v = MetadataValue.column_lineage(lin)
    assert v == TableColumnLineageMetadataValue(lin) and v.value == lin and v.lineage == lin
    with pytest.raises(HeadwaterInvalidMetadata, match="deps of column 'x'"):
        TableColumnLineage({"x": ["a"]})  # type: ignore[list-item]


# --------------------------------------------------------------------------- normalisation


def test_normalize_coerces_every_raw_kind():
    """str, bool, int, float, dict, list, None, PathLike, TableSchema, lineage, AssetKey."""
    schema, lineage = _schema(), _lineage()
    out = normalize_metadata(
        {
            "s": "x", "b": True, "i": 3, "f": 1.5, "d": {"a": (1, 2)}, "l": [1], "n": None,
            "p": pathlib.Path("/tmp"), "schema": schema, "lin": lineage, "key": AssetKey("a"),
            "mv": MetadataValue.md("m"),
        }
    )
    assert out == {
        "s": TextMetadataValue("x"),
        "b": BoolMetadataValue(True),
        "i": IntMetadataValue(3),
        "f": FloatMetadataValue(1.5),
        "d": JsonMetadataValue({"a": [1, 2]}),
        "l": JsonMetadataValue([1]),
        "n": NullMetadataValue(),
        "p": PathMetadataValue("/tmp"),
        "schema": TableSchemaMetadataValue(schema),
        "lin": TableColumnLineageMetadataValue(lineage),
        "key": HeadwaterAssetMetadataValue(AssetKey("a")),
        "mv": MarkdownMetadataValue("m"),
    }


def test_normalize_bool_is_not_int():
    """True becomes a BoolMetadataValue, not an IntMetadataValue."""
    assert type(normalize_metadata({"b": True})["b"]) is BoolMetadataValue


def test_normalize_empty_and_none():
    """None and {} give an empty dict."""
    assert normalize_metadata(None) == {}
    assert normalize_metadata({}) == {}


@pytest.mark.parametrize(
    "value, type_name, hint",
    [
        (object(), "object", "MetadataValue.text(str(value))"),
        (datetime(2024, 1, 1, tzinfo=timezone.utc), "datetime", "MetadataValue.timestamp(value)"),
        ((1, 2), "tuple", "MetadataValue.json(list(value))"),
        ({1}, "set", "MetadataValue.json(list(value))"),
        (b"x", "bytes", "MetadataValue.text(value.decode())"),
        (date(2024, 1, 1), "date", "MetadataValue.text(str(value))"),
        (TableRecord({"a": 1}), "TableRecord", "MetadataValue.table([record, ...])"),
        (TableColumn("a"), "TableColumn", "MetadataValue.table_schema(TableSchema([column, ...]))"),
        (os.path.join, "function", "MetadataValue.python_artifact(value)"),
    ],
)
def test_normalize_rejects_uncoercible_values(value, type_name, hint):
    """The error names the key, the value's type and the constructor to use."""
    with pytest.raises(HeadwaterInvalidMetadata) as exc:
        normalize_metadata({"x": value})
    message = str(exc.value)
    assert f'Metadata value for key "x" has type {type_name}' in message
    assert hint in message


def test_normalize_error_names_owner():
    """owner= is named in the error, e.g. which asset the metadata belongs to."""
    with pytest.raises(HeadwaterInvalidMetadata, match="key \"x\" of asset 'orders'"):
        normalize_metadata({"x": object()}, owner="asset 'orders'")


def test_normalize_rejects_unserializable_json():
    """A dict holding an object is refused, naming the key and the JSON problem."""
    with pytest.raises(HeadwaterInvalidMetadata) as exc:
        normalize_metadata({"x": {"a": object()}})
    assert 'key "x"' in str(exc.value) and "not JSON serializable" in str(exc.value)


def test_normalize_rejects_non_string_keys():
    """A non-string key is refused with the fix."""
    with pytest.raises(HeadwaterInvalidMetadata, match=r"keys must be strings, got 1 \(int\)"):
        normalize_metadata({1: "x"})  # type: ignore[dict-item]


def test_normalize_allow_invalid_marks_unserializable():
    """allow_invalid turns invalid values into '[type] (unserializable)' text, keeps the rest."""
    out = normalize_metadata(
        {"o": object(), "t": (1, 2), "j": {"a": object()}, "s": "s", 1: "k"},  # type: ignore[dict-item]
        allow_invalid=True,
    )
    assert out == {
        "o": TextMetadataValue("[object] (unserializable)"),
        "t": TextMetadataValue("[tuple] (unserializable)"),
        "j": TextMetadataValue("[dict] (unserializable)"),
        "s": TextMetadataValue("s"),
        "1": TextMetadataValue("k"),
    }


# --------------------------------------------------------------------------- codec


def _every_kind() -> dict[str, MetadataValue]:
    return {
        "text": MetadataValue.text("hi"),
        "text_none": TextMetadataValue(None),
        "int": MetadataValue.int(2**70),
        "float": MetadataValue.float(1.25),
        "inf": MetadataValue.float(float("inf")),
        "ninf": MetadataValue.float(float("-inf")),
        "bool": MetadataValue.bool(True),
        "json": MetadataValue.json({"a": [1, {"b": None}]}),
        "json_list": MetadataValue.json([1, "x"]),
        "md": MetadataValue.md("# t"),
        "url": MetadataValue.url("http://x"),
        "path": MetadataValue.path("/p"),
        "notebook": MetadataValue.notebook("/n.ipynb"),
        "artifact": MetadataValue.python_artifact(os.path.join),
        "table": MetadataValue.table(
            [TableRecord({"id": 1, "x": 1.5, "s": None}), TableRecord({"id": 2, "x": 2.0, "s": "b"})]
        ),
        "table_schema": MetadataValue.table_schema(_schema()),
        "lineage": MetadataValue.column_lineage(_lineage()),
        "asset": MetadataValue.asset(AssetKey(["a", "b"])),
        "job": MetadataValue.job("j", "loc", repository_name="r"),
        "job_no_repo": MetadataValue.job("j", "loc"),
        "run": MetadataValue.headwater_run("abc"),
        "pool": MetadataValue.pool("db"),
        "timestamp": MetadataValue.timestamp(1704067200.5),
        "null": MetadataValue.null(),
    }


def test_codec_round_trips_every_kind_through_strict_json():
    """to_jsonable -> json text (no NaN/Infinity literals) -> from_jsonable gives equal values."""
    md = _every_kind()
    encoded = metadata_to_jsonable(md)
    text = json.dumps(encoded, allow_nan=False)
    decoded = metadata_from_jsonable(json.loads(text))
    assert decoded == md
    assert {k: type(v) for k, v in decoded.items()} == {k: type(v) for k, v in md.items()}


def test_codec_tags_each_value_with_its_kind():
    """Every encoded value carries a 'type' tag named after its constructor."""
    encoded = metadata_to_jsonable(_every_kind())
    assert encoded["int"] == {"type": "int", "value": 2**70}
    assert encoded["asset"] == {"type": "asset", "asset_key": ["a", "b"]}
    assert encoded["null"] == {"type": "null"}
    assert {v["type"] for v in encoded.values()} == {
        "text", "int", "float", "bool", "json", "md", "url", "path", "notebook",
        "python_artifact", "table", "table_schema", "column_lineage", "asset", "job",
        "headwater_run", "pool", "timestamp", "null",
    }


def test_codec_round_trips_nan():
    """A NaN float survives the round trip."""
    decoded = metadata_from_jsonable(
        json.loads(json.dumps(metadata_to_jsonable({"x": MetadataValue.float(float("nan"))})))
    )
    assert isinstance(decoded["x"], FloatMetadataValue) and math.isnan(decoded["x"].value)


def test_codec_rejects_unknown_tag():
    """An unknown type tag raises with a hint about versions."""
    with pytest.raises(HeadwaterInvalidMetadata, match="unknown type tag 'hologram'"):
        metadata_from_jsonable({"x": {"type": "hologram"}})


def test_codec_rejects_raw_values():
    """Encoding a raw value that was not normalised raises with the fix."""
    with pytest.raises(HeadwaterInvalidMetadata, match="normalize_metadata"):
        metadata_to_jsonable({"x": 3})  # type: ignore[dict-item]
