"""`S3Coordinate` and `file_handle_to_s3`.

`S3Coordinate` is a type for an op input naming one S3 object: a dict `{"bucket", "key"}`,
which run config can supply (`ops.<op>.inputs.<name>: {bucket: ..., key: ...}`).
`file_handle_to_s3` uploads a file a file manager holds to a configured bucket and key and
returns its `S3FileHandle`, recording the object as an asset materialization.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from headwater import (
    AssetKey,
    AssetMaterialization,
    Field,
    FileHandle,
    In,
    MetadataValue,
    Out,
    Output,
    PythonObjectHeadwaterType,
    StringSource,
    headwater_type_loader,
    op,
)
from headwater_aws.s3.file_manager import S3FileHandle


@headwater_type_loader({
    "bucket": Field(StringSource, description="The bucket's name."),
    "key": Field(StringSource, description="The object's key."),
})
def _load_coordinate(context: Any, value: dict[str, str]) -> dict[str, str]:
    return {"bucket": value["bucket"], "key": value["key"]}


S3Coordinate = PythonObjectHeadwaterType(
    dict, name="S3Coordinate", loader=_load_coordinate,
    description="An S3 object: a dict with the keys 'bucket' and 'key'.")


@op(config_schema={
        "Bucket": Field(StringSource, description="The bucket to upload to."),
        "Key": Field(StringSource, description="The key to upload to."),
    },
    ins={"file_handle": In(FileHandle, description="The file to upload.")},
    out={"s3_file_handle": Out(S3FileHandle)},
    required_resource_keys=["s3", "file_manager"],
    description="Upload a file a file manager holds to S3; its S3FileHandle.")
def file_handle_to_s3(context: Any, file_handle: FileHandle) -> Iterator[Any]:
    bucket, key = context.op_config["Bucket"], context.op_config["Key"]
    with context.resources.file_manager.read(file_handle, "rb") as stream:
        context.resources.s3.upload_fileobj(stream, bucket, key)
    handle = S3FileHandle(bucket, key)
    yield AssetMaterialization(asset_key=AssetKey([handle.s3_path]),
                               metadata={key.rsplit("/", 1)[-1]: MetadataValue.path(handle.s3_path)})
    yield Output(handle, output_name="s3_file_handle")
