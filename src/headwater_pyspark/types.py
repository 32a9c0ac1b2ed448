"""`DataFrame`: the headwater type of a `pyspark.sql.DataFrame`.

It checks that a value is a Spark DataFrame, and an op input of this type can be read from
run config (`ops.<op>.inputs.<name>`) with the session of the `pyspark` resource:

```yaml
ops:
  count_people:
    inputs:
      people:
        parquet: {path: /data/people.parquet}
```

One of `csv`, `parquet`, `json`, `orc`, `text` (each with `path` plus any option of the
matching `DataFrameReader` method), `jdbc` (`url`, `table`, ...), `table` (`tableName`) or
`other` (the arguments of `DataFrameReader.load`).
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame as NativeSparkDataFrame

from headwater import (
    Field,
    HeadwaterError,
    Permissive,
    PythonObjectHeadwaterType,
    Selector,
    headwater_type_loader,
)


def _with_path() -> Permissive:
    return Permissive({"path": Field(Any, is_required=True,
                                     description="A path, or a list of paths, to read.")})


_READ_CONFIG = Selector({
    "csv": _with_path(), "parquet": _with_path(), "json": _with_path(),
    "orc": _with_path(), "text": _with_path(),
    "jdbc": Permissive({"url": Field(str, is_required=True), "table": Field(str, is_required=True)}),
    "table": Permissive({"tableName": Field(str, is_required=True)}),
    "other": Permissive(),
})


@headwater_type_loader(config_schema=_READ_CONFIG, required_resource_keys={"pyspark"})
def dataframe_loader(context: Any, config: dict[str, Any]) -> NativeSparkDataFrame:
    """Read the DataFrame the input's config describes with the `pyspark` resource's session."""
    [(file_type, options)] = config.items()
    options = dict(options)
    read = context.resources.pyspark.spark_session.read
    if file_type in ("csv", "parquet", "json", "orc", "text"):
        path = options.pop("path")
        return getattr(read, file_type)(path, **options)
    if file_type == "jdbc":
        return read.jdbc(**options)
    if file_type == "table":
        return read.table(**options)
    if file_type == "other":
        return read.load(**options)
    raise HeadwaterError(f"PySparkDataFrame input config names {file_type!r}; use one of "
                         "csv, parquet, json, orc, text, jdbc, table or other.")


DataFrame = PythonObjectHeadwaterType(
    python_type=NativeSparkDataFrame,
    name="PySparkDataFrame",
    description="A PySpark DataFrame.",
    loader=dataframe_loader,
)
