"""`get_s3_keys`: the keys added to a bucket since the one a sensor saw last.

A sensor keeps the newest key it has handled as its cursor and asks for the keys modified
after it, oldest first.
"""

from __future__ import annotations

from typing import Any

from headwater_aws.s3.utils import construct_s3_client


def get_s3_keys(bucket: str, prefix: str = "", since_key: str | None = None,
                s3_session: Any = None) -> list[str]:
    """The keys under `prefix` in `bucket`, oldest first by last modification; with
    `since_key`, only those modified after it (all of them when `since_key` is gone).

    ```python
    @sensor(job=ingest)
    def new_files(context):
        keys = get_s3_keys("landing", prefix="orders/", since_key=context.cursor)
        for key in keys:
            yield RunRequest(run_key=key, run_config=...)
        if keys:
            context.update_cursor(keys[-1])
    ```
    """
    if not bucket:
        raise ValueError("get_s3_keys needs a bucket name.")
    client = s3_session if s3_session is not None else construct_s3_client()
    objects: list[dict[str, Any]] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        objects.extend(page.get("Contents", []))
    objects.sort(key=lambda o: (o["LastModified"], o["Key"]))
    keys = [o["Key"] for o in objects]
    if since_key is None or since_key not in keys:
        return keys
    return keys[keys.index(since_key) + 1:]
