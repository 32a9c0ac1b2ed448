"""Pipes over S3: a real subprocess gets its context from and sends its messages through
moto's S3 server on 127.0.0.1."""

from __future__ import annotations

import socket
import sys
import textwrap

import pytest

import headwater as hw
from headwater_aws.pipes import PipesS3ContextInjector, PipesS3MessageReader
from headwater_aws.s3 import S3Resource

moto_server = pytest.importorskip("moto.server")

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing",
               "region_name": "us-east-1"}


@pytest.fixture(scope="module")
def endpoint():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_a_script_reports_through_s3(tmp_path, endpoint, monkeypatch):
    """Context and messages travel through the bucket; the context object is removed after."""
    client = S3Resource(endpoint_url=endpoint, **CREDENTIALS).get_client()
    client.create_bucket(Bucket="pipes")
    script = tmp_path / "external.py"
    script.write_text(textwrap.dedent("""
        import os, boto3
        from headwater_pipes import (PipesS3ContextLoader, PipesS3MessageWriter,
                                     open_headwater_pipes)

        client = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        with open_headwater_pipes(context_loader=PipesS3ContextLoader(client),
                                  message_writer=PipesS3MessageWriter(client, interval=0.2)) as pipes:
            pipes.log.info(f"hello from {pipes.asset_key}")
            pipes.report_asset_materialization(metadata={"rows": 7})
    """))

    @hw.asset
    def remote(context: hw.AssetExecutionContext):
        pipes = hw.PipesSubprocessClient(
            env={"S3_ENDPOINT": endpoint},
            context_injector=PipesS3ContextInjector(bucket="pipes", client=client),
            message_reader=PipesS3MessageReader(bucket="pipes", client=client, interval=0.2))
        return pipes.run(command=[sys.executable, str(script)],
                         context=context).get_materialize_result()

    instance = hw.HeadwaterInstance.ephemeral()
    result = hw.materialize([remote], instance=instance)
    [mat] = result.asset_materializations_for_node("remote")
    assert mat.metadata["rows"].value == 7
    assert any("hello from remote" in (e.user_message or "")
               for e in instance.all_logs(result.run_id))
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="pipes").get("Contents", [])]
    assert keys and all(k.endswith(".json") and "/messages/" in k for k in keys)


def test_reader_arguments_are_checked():
    with pytest.raises(ValueError, match="interval is in seconds"):
        PipesS3MessageReader(bucket="b", client=None, interval=0)
