"""Pipes over S3: `PipesS3ContextInjector` and `PipesS3MessageReader`, for external processes
that reach S3 but not this machine's files (a container, another host).

The injector writes the context to `s3://<bucket>/<prefix>/<uuid>/context.json` and deletes
it when the session ends; the external side reads it with `headwater_pipes.PipesS3ContextLoader`.
The reader gives the external side a fresh key prefix; `headwater_pipes.PipesS3MessageWriter`
uploads the messages there as numbered chunks `1.json`, `2.json`, ..., which a thread reads in
order every `interval` seconds while the process runs, and once more when it ends. The chunks
stay in the bucket afterwards (a lifecycle rule can expire them).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from headwater import PipesContextInjector, PipesMessageHandler, PipesMessageReader


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) in ("NoSuchKey", "404")


class PipesS3ContextInjector(PipesContextInjector):
    """Puts the context in an S3 object of `bucket` (under `key_prefix`, if given) through the
    boto3 S3 `client`."""

    def __init__(self, *, bucket: str, client: Any, key_prefix: str | None = None):
        if not bucket:
            raise ValueError("PipesS3ContextInjector needs a bucket.")
        self.bucket = bucket
        self.client = client
        self.key_prefix = (key_prefix or "").strip("/")

    @contextmanager
    def inject_context(self, context_data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        key = "/".join(p for p in (self.key_prefix, uuid.uuid4().hex, "context.json") if p)
        self.client.put_object(Bucket=self.bucket, Key=key,
                               Body=json.dumps(dict(context_data)).encode("utf-8"))
        try:
            yield {"bucket": self.bucket, "key": key}
        finally:
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def no_messages_debug_text(self) -> str:
        return (f"the context was written to s3://{self.bucket}/; the external process must "
                "open it with headwater_pipes.PipesS3ContextLoader(client)")


class PipesS3MessageReader(PipesMessageReader):
    """Reads the chunks `headwater_pipes.PipesS3MessageWriter` uploads to `bucket`, polling
    every `interval` seconds, through the boto3 S3 `client`."""

    def __init__(self, *, bucket: str, client: Any, interval: float = 10,
                 key_prefix: str | None = None):
        if not bucket:
            raise ValueError("PipesS3MessageReader needs a bucket.")
        if interval <= 0:
            raise ValueError(f"PipesS3MessageReader: interval is in seconds and positive, got "
                             f"{interval}.")
        self.bucket = bucket
        self.client = client
        self.interval = interval
        self.key_prefix = (key_prefix or "").strip("/")

    @contextmanager
    def read_messages(self, handler: PipesMessageHandler) -> Iterator[dict[str, Any]]:
        prefix = "/".join(p for p in (self.key_prefix, uuid.uuid4().hex, "messages") if p)
        done = threading.Event()
        errors: list[BaseException] = []
        poller = threading.Thread(target=self._poll, args=(handler, prefix, done, errors),
                                  daemon=True, name="headwater-pipes-s3-reader")
        poller.start()
        try:
            yield {"bucket": self.bucket, "key_prefix": prefix}
        finally:
            done.set()
            poller.join()
        if errors:
            raise errors[0]

    def _poll(self, handler: PipesMessageHandler, prefix: str, done: threading.Event,
              errors: list[BaseException]) -> None:
        chunk = 1
        try:
            while True:
                finishing = done.is_set()  # one more full read after the process ended
                while (text := self._chunk(f"{prefix}/{chunk}.json")) is not None:
                    for line in text.splitlines():
                        handler.handle_line(line)
                    chunk += 1
                if finishing:
                    return
                done.wait(self.interval)
        except Exception as exc:  # reported by read_messages once the process has ended
            errors.append(exc)

    def _chunk(self, key: str) -> str | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return str(body.decode("utf-8"))

    def no_messages_debug_text(self) -> str:
        return (f"messages were expected in s3://{self.bucket}/; the external process must "
                "write them with headwater_pipes.PipesS3MessageWriter(client)")
