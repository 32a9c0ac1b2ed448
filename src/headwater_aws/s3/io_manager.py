"""`S3PickleIOManager` / `s3_pickle_io_manager`: each output pickled to an S3 object.

Keys follow the UPath IO manager of headwater's core, under `s3_prefix`: an asset at
`<prefix>/<key parts>`, a partition at `<prefix>/<key parts>/<partition>`, an op output at
`<prefix>/storage/<run_id>/<step_key>/<output>`. A PUT replaces an object whole, so a failed
write leaves the previous value readable. Each output records `path` (the key) and `uri`
(`s3://bucket/key`). The bucket is checked once when the manager is built, so a wrong
bucket, endpoint or credentials fail the first step with a message saying which.
"""

from __future__ import annotations

import pickle
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from pydantic import PrivateAttr

from headwater import (
    ConfigurableIOManager,
    Field,
    MetadataValue,
    ResourceDependency,
    StringSource,
    UPathIOManager,
    io_manager,
)
from headwater_aws.s3.resources import S3Resource


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def check_bucket(s3: Any, bucket: str, prefix: str | None) -> None:
    """List one key of `bucket`, turning the ways that fails into a message with the fix."""
    endpoint = getattr(getattr(s3, "meta", None), "endpoint_url", "S3")
    try:
        s3.list_objects_v2(Bucket=bucket, Prefix=prefix or "", MaxKeys=1)
    except NoCredentialsError:
        raise PermissionError(
            f"No AWS credentials to read bucket '{bucket}': set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, a profile (AWS_PROFILE or profile_name), or the resource's "
            "aws_access_key_id / aws_secret_access_key.") from None
    except ClientError as exc:
        if _code(exc) == "NoSuchBucket":
            raise FileNotFoundError(
                f"S3 bucket '{bucket}' does not exist at {endpoint}: create it, or fix "
                "s3_bucket (and endpoint_url / region_name if it lives elsewhere).") from exc
        if _code(exc) in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            raise PermissionError(
                f"These AWS credentials may not list bucket '{bucket}' ({_code(exc)}): grant "
                "s3:ListBucket, s3:GetObject and s3:PutObject on it, or use other "
                "credentials.") from exc
        raise
    except BotoCoreError as exc:
        raise ConnectionError(f"Cannot reach S3 bucket '{bucket}' at {endpoint}: {exc}. Check "
                              "endpoint_url, region_name and the network.") from exc


class PickledObjectS3IOManager(UPathIOManager):
    """Pickles outputs to `s3://<s3_bucket>/<s3_prefix>/...` through the boto3 client
    `s3_session`."""

    def __init__(self, s3_bucket: str, s3_session: Any, s3_prefix: str | None = None):
        if not isinstance(s3_bucket, str) or not s3_bucket:
            raise ValueError(f"The S3 pickle IO manager needs s3_bucket, got {s3_bucket!r}.")
        self.bucket = s3_bucket
        self.s3 = s3_session
        prefix = (s3_prefix or "").strip("/")
        check_bucket(self.s3, s3_bucket, prefix)
        super().__init__(base_path=prefix or None)

    def _key(self, path: Any) -> str:
        return path.as_posix() if hasattr(path, "as_posix") else str(path)

    def uri(self, path: Any) -> str:
        return f"s3://{self.bucket}/{self._key(path)}"

    def dump_to_path(self, context: Any, obj: Any, path: Any) -> None:
        data = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
        try:
            self.s3.put_object(Bucket=self.bucket, Key=self._key(path), Body=data)
        except (ClientError, BotoCoreError) as exc:
            raise OSError(f"Could not write {self.uri(path)}: {exc}") from exc

    def load_from_path(self, context: Any, path: Any) -> Any:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=self._key(path))["Body"].read()
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404"):
                raise FileNotFoundError(self.uri(path)) from exc
            raise OSError(f"Could not read {self.uri(path)}: {exc}") from exc
        return pickle.loads(body)

    def path_exists(self, path: Any) -> bool:
        try:
            self.s3.head_object(Bucket=self.bucket, Key=self._key(path))
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def unlink(self, path: Any) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=self._key(path))

    def make_directory(self, path: Any) -> None:
        pass  # S3 has no directories: a key's prefix exists as soon as the key does

    def get_op_output_relative_path(self, context: Any) -> Any:
        return "storage" / super().get_op_output_relative_path(context)

    def get_metadata(self, context: Any, obj: Any) -> dict[str, Any]:
        return {"uri": MetadataValue.path(self.uri(self._output_path(context)))}

    def _output_path(self, context: Any) -> Any:
        if self._partitioned(context):
            return next(iter(self._paths_for_partitions(context).values()))
        return self._get_path(context)


class S3PickleIOManager(ConfigurableIOManager):
    """Pickles each output to an object in `s3_bucket` under `s3_prefix`, through the
    `s3_resource`'s client.

    ```python
    defs = Definitions(assets=[orders], resources={
        "io_manager": S3PickleIOManager(s3_resource=S3Resource(region_name="eu-west-1"),
                                        s3_bucket="lake", s3_prefix="prod")})
    ```
    """

    s3_resource: ResourceDependency[S3Resource]
    s3_bucket: str
    s3_prefix: str = "headwater"
    _inner: PickledObjectS3IOManager | None = PrivateAttr(default=None)

    def inner_io_manager(self) -> PickledObjectS3IOManager:
        if self._inner is None:
            resource: Any = self.s3_resource
            self._inner = PickledObjectS3IOManager(self.s3_bucket, resource.get_client(),
                                                   self.s3_prefix)
        return self._inner

    def handle_output(self, context: Any, obj: Any) -> None:
        self.inner_io_manager().handle_output(context, obj)

    def load_input(self, context: Any) -> Any:
        return self.inner_io_manager().load_input(context)


ConfigurablePickledObjectS3IOManager = S3PickleIOManager  # Dagster's earlier name


@io_manager(config_schema={
    "s3_bucket": Field(StringSource, description="The bucket the outputs are stored in."),
    "s3_prefix": Field(StringSource, is_required=False, default_value="headwater",
                       description="The key prefix the outputs are stored under."),
}, required_resource_keys={"s3"})
def s3_pickle_io_manager(init_context: Any) -> PickledObjectS3IOManager:
    """The function-style S3 pickle IO manager, using the boto3 client of the `s3` resource
    (`s3_resource`)."""
    config = init_context.resource_config
    return PickledObjectS3IOManager(config["s3_bucket"], init_context.resources.s3,
                                    config.get("s3_prefix"))
