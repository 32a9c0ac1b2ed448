"""Where Delta tables live and how to reach them: one config class per object store
(`LocalConfig`, `S3Config`, `AzureConfig`, `GcsConfig`) plus `ClientConfig` for the HTTP
client. Each only builds the string options deltalake's object store takes
(`storage_options=`); nothing here opens a connection. Imports headwater's `Config`.
"""

from __future__ import annotations

from typing import Literal

from headwater import Config


class _StoreConfig(Config):
    """The fields of a store, turned into deltalake's storage options."""

    def str_dict(self) -> dict[str, str]:
        """Every set field except `provider`, as text (booleans as 'true'/'false')."""
        options = {}
        for name, value in self.model_dump().items():
            if name == "provider" or value is None:
                continue
            options[name] = str(value).lower() if isinstance(value, bool) else str(value)
        return options


class LocalConfig(_StoreConfig):
    """Tables on the local file system (`root_uri` is a directory path)."""

    provider: Literal["local"] = "local"


class S3Config(_StoreConfig):
    """Tables in Amazon S3 or an S3-compatible store (`root_uri` like `s3://bucket/path`).
    Unset fields fall back to the usual AWS environment variables and profiles."""

    provider: Literal["s3"] = "s3"
    access_key_id: str | None = None
    secret_access_key: str | None = None
    region: str | None = None
    bucket: str | None = None
    endpoint: str | None = None
    token: str | None = None
    imdsv1_fallback: bool = False
    virtual_hosted_style_request: str | None = None
    unsigned_payload: bool | None = None
    checksum: str | None = None
    metadata_endpoint: str | None = None
    container_credentials_relative_uri: str | None = None
    copy_if_not_exists: str | None = None
    allow_unsafe_rename: bool | None = None


class AzureConfig(_StoreConfig):
    """Tables in Azure Blob Storage or ADLS Gen2 (`root_uri` like `az://container/path`)."""

    provider: Literal["azure"] = "azure"
    account_name: str
    client_id: str | None = None
    client_secret: str | None = None
    tenant_id: str | None = None
    federated_token_file: str | None = None
    account_key: str | None = None
    sas_key: str | None = None
    token: str | None = None
    use_azure_cli: bool | None = None
    use_fabric_endpoint: bool | None = None
    msi_resource_id: str | None = None
    msi_endpoint: str | None = None
    container_name: str | None = None


class GcsConfig(_StoreConfig):
    """Tables in Google Cloud Storage (`root_uri` like `gs://bucket/path`)."""

    provider: Literal["gcs"] = "gcs"
    service_account: str | None = None
    service_account_key: str | None = None
    bucket: str | None = None
    application_credentials: str | None = None


class ClientConfig(_StoreConfig):
    """Options of the HTTP client that talks to a cloud store (timeouts, proxy, TLS)."""

    allow_http: bool | None = None
    allow_invalid_certificates: bool | None = None
    connect_timeout: int | str | None = None
    default_content_type: str | None = None
    http1_only: bool | None = None
    http2_keep_alive_interval: int | None = None
    http2_keep_alive_timeout: int | None = None
    http2_keep_alive_while_idle: int | None = None
    http2_only: bool | None = None
    pool_idle_timeout: int | None = None
    pool_max_idle_per_host: int | None = None
    proxy_url: str | None = None
    timeout: int | str | None = None
    user_agent: str | None = None


StorageConfig = AzureConfig | S3Config | LocalConfig | GcsConfig
