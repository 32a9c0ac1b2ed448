"""`construct_s3_client`: one boto3 S3 client from the resource settings.

Kept under this module name because Dagster projects import it as
`dagster_aws.s3.utils.construct_s3_client`.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config


def construct_s3_client(max_attempts: int = 5, region_name: str | None = None,
                        endpoint_url: str | None = None, use_unsigned_session: bool = False,
                        profile_name: str | None = None, use_ssl: bool = True,
                        verify: bool | str | None = None,
                        aws_access_key_id: str | None = None,
                        aws_secret_access_key: str | None = None,
                        aws_session_token: str | None = None) -> Any:
    """A `botocore` S3 client. Credentials not given come from boto3's usual chain
    (environment, `profile_name` in ~/.aws, instance role); `max_attempts` counts the first
    call; `use_unsigned_session` reads public buckets anonymously."""
    if max_attempts < 1:
        raise ValueError(f"S3 max_attempts counts the first call, so it is at least 1; got "
                         f"{max_attempts}.")
    if (aws_access_key_id is None) != (aws_secret_access_key is None):
        raise ValueError("S3 credentials need both aws_access_key_id and aws_secret_access_key "
                         "(or neither, to use the environment or a profile).")
    config = Config(retries={"total_max_attempts": max_attempts, "mode": "standard"},
                    signature_version=UNSIGNED if use_unsigned_session else None)
    session = boto3.session.Session(profile_name=profile_name)
    return session.client(
        "s3", region_name=region_name, endpoint_url=endpoint_url, use_ssl=use_ssl,
        verify=verify, aws_access_key_id=aws_access_key_id,
        aws_secret_access_key=aws_secret_access_key, aws_session_token=aws_session_token,
        config=config)
