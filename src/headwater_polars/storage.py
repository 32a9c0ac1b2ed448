"""Where frames live: the base path built from `base_dir` and `storage_options`, and those
options in the two dialects the tools speak.

`storage_options` are fsspec's (universal_pathlib hands them to the filesystem: `key`,
`secret`, `client_kwargs`, ...). polars' native cloud readers and writers and deltalake speak
the Rust `object_store` dialect instead (`aws_access_key_id`, `aws_region`, ...):
`object_store_options` translates the common S3 keys and passes the rest through. A value
`{"env": "NAME"}` is read from the environment when the run starts. Imports headwater's public names
only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headwater import EnvVar, HeadwaterInvalidConfigError

# universal_pathlib protocols polars reads and writes itself (through object_store); any
# other filesystem (memory://, ftp://, ...) is reached through an fsspec file handle.
NATIVE_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl",
                              "azure", "http", "https", "hf"})
LOCAL_PROTOCOLS = frozenset({"", "file", "local"})

_FSSPEC_TO_OBJECT_STORE = {"key": "aws_access_key_id", "secret": "aws_secret_access_key",
                           "token": "aws_session_token"}
_CLIENT_KWARGS = {"region_name": "aws_region", "endpoint_url": "aws_endpoint_url"}
# fsspec settings with no object_store counterpart
_FSSPEC_ONLY = frozenset({"client_kwargs", "config_kwargs", "s3_additional_kwargs",
                          "default_block_size", "default_cache_type", "version_aware",
                          "auto_mkdir", "use_listings_cache", "skip_instance_cache"})


def resolve_env(options: Mapping[str, Any], owner: str) -> dict[str, Any]:
    """`options` with each `{"env": NAME}` value replaced by that environment variable."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        if isinstance(value, Mapping) and list(value) == ["env"]:
            name = value["env"]
            resolved = EnvVar(name).get_value()
            if resolved is None:
                raise HeadwaterInvalidConfigError(f"Error in config for {owner}:", [
                    f"storage_options.{key} reads environment variable '{name}', which is "
                    "not set; export it before launching the run (or set it in a .env file "
                    "in the working directory)."])
            out[key] = resolved
        else:
            out[key] = value
    return out


def protocol_of(path: Any) -> str:
    protocol = getattr(path, "protocol", "") or ""
    return protocol[0] if isinstance(protocol, (tuple, list)) else str(protocol)


def is_local(path: Any) -> bool:
    return protocol_of(path) in LOCAL_PROTOCOLS


def local_path(path: Any) -> str:
    """The plain filesystem path of a local UPath (no `file://` prefix)."""
    return str(getattr(path, "path", path)) if protocol_of(path) else str(path)


def object_store_options(options: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """fsspec-style storage options in object_store's keys (None when there are none)."""
    out: dict[str, Any] = {}
    for key, value in (options or {}).items():
        if key in _FSSPEC_TO_OBJECT_STORE:
            out[_FSSPEC_TO_OBJECT_STORE[key]] = value
        elif key == "client_kwargs" and isinstance(value, Mapping):
            out.update({_CLIENT_KWARGS[k]: v for k, v in value.items() if k in _CLIENT_KWARGS})
        elif key == "anon":
            if value:
                out["aws_skip_signature"] = "true"
        elif key not in _FSSPEC_ONLY:
            out[key] = value
    return {k: v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in out.items()} or None
