"""`S3Resource` / `s3_resource` (a boto3 S3 client) and `S3FileManagerResource` /
`s3_file_manager` (an `S3FileManager`), configured as in Dagster."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field

from headwater import ConfigurableResource, IAttachDifferentObjectToOpContext, resource
from headwater_aws.s3.file_manager import S3FileManager
from headwater_aws.s3.utils import construct_s3_client


class ResourceWithS3Configuration(ConfigurableResource):
    """The settings of a boto3 S3 client, shared by the S3 resources."""

    use_unsigned_session: bool = Field(
        default=False, description="Send requests unsigned (anonymous reads of public buckets).")
    region_name: str | None = Field(
        default=None, description="The AWS region; default from the environment or profile.")
    endpoint_url: str | None = Field(
        default=None, description="Another S3-compatible endpoint (MinIO, LocalStack, ...).")
    max_attempts: int = Field(
        default=5, description="Attempts per call for boto3's retry handler, the first included.")
    profile_name: str | None = Field(
        default=None, description="A profile of ~/.aws/config and ~/.aws/credentials.")
    use_ssl: bool = Field(default=True, description="Talk to the endpoint over TLS.")
    verify: str | None = Field(
        default=None, description="A CA bundle to verify TLS certificates with (default: "
                                  "botocore's bundle).")
    aws_access_key_id: str | None = Field(
        default=None, description="An access key id; default from boto3's credential chain.")
    aws_secret_access_key: str | None = Field(
        default=None, description="The secret of aws_access_key_id.")
    aws_session_token: str | None = Field(
        default=None, description="A session token, for temporary credentials.")

    def _client(self) -> Any:
        return construct_s3_client(
            max_attempts=self.max_attempts, region_name=self.region_name,
            endpoint_url=self.endpoint_url, use_unsigned_session=self.use_unsigned_session,
            profile_name=self.profile_name, use_ssl=self.use_ssl, verify=self.verify,
            aws_access_key_id=self.aws_access_key_id,
            aws_secret_access_key=self.aws_secret_access_key,
            aws_session_token=self.aws_session_token)


class S3Resource(ResourceWithS3Configuration, IAttachDifferentObjectToOpContext):  # type: ignore[metaclass]
    """S3 access: `get_client()` is a boto3 S3 client.

    ```python
    @asset
    def listing(s3: S3Resource) -> list[str]:
        page = s3.get_client().list_objects_v2(Bucket="raw", Prefix="2024/")
        return [o["Key"] for o in page.get("Contents", [])]
    ```

    Ops that read `context.resources.s3` get the client itself.
    """

    def get_client(self) -> Any:
        return self._client()

    def get_object_to_set_on_execution_context(self) -> Any:
        return self.get_client()


@resource(config_schema=S3Resource.to_config_schema(),
          description="A boto3 S3 client configured like S3Resource.")
def s3_resource(context: Any) -> Any:
    """The function-style S3 resource: `context.resources.s3` is the boto3 S3 client."""
    return S3Resource.from_resource_context(context).get_client()


class S3FileManagerResource(  # type: ignore[metaclass]
        ResourceWithS3Configuration, IAttachDifferentObjectToOpContext):
    """A file manager writing under `s3://<s3_bucket>/<s3_prefix>/`: `get_client()` is an
    `S3FileManager`."""

    s3_bucket: str = Field(description="The bucket the files are written to.")
    s3_prefix: str = Field(default="headwater",
                           description="The key prefix the files are written under.")

    def get_client(self) -> S3FileManager:
        return S3FileManager(self._client(), self.s3_bucket, self.s3_prefix)

    def get_object_to_set_on_execution_context(self) -> Any:
        return self.get_client()


@resource(config_schema=S3FileManagerResource.to_config_schema(),
          description="An S3FileManager writing under s3://<s3_bucket>/<s3_prefix>/.")
def s3_file_manager(context: Any) -> Iterator[S3FileManager]:
    """The function-style S3 file manager; its local temporary copies are removed at
    teardown."""
    manager = S3FileManagerResource.from_resource_context(context).get_client()
    try:
        yield manager
    finally:
        manager.delete_local_temp()
