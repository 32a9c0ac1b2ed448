"""headwater_aws.s3 against moto's S3 server, a real HTTP endpoint on 127.0.0.1."""

from __future__ import annotations

import pickle
import socket

import pytest

import headwater as hw
from headwater_aws.s3 import (
    PickledObjectS3IOManager,
    S3Coordinate,
    S3FileHandle,
    S3FileManagerResource,
    S3PickleIOManager,
    S3Resource,
    file_handle_to_s3,
    s3_file_manager,
    s3_pickle_io_manager,
    s3_resource,
)

moto_server = pytest.importorskip("moto.server")

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing",
               "region_name": "us-east-1"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=_port())
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(endpoint, request):
    """An S3Resource on the moto server and a fresh bucket for the test."""
    resource = S3Resource(endpoint_url=endpoint, **CREDENTIALS)
    bucket = request.node.name.replace("_", "-")[:60].strip("-")
    resource.get_client().create_bucket(Bucket=bucket)
    return resource, bucket


def _keys(client, bucket):
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_assets_round_trip_through_s3(s3):
    """Each asset is pickled to <prefix>/<key>; downstream assets read it back, across runs."""
    resource, bucket = s3

    @hw.asset(key_prefix=["sales"])
    def orders():
        return [1, 2, 3]

    @hw.asset(ins={"orders": hw.AssetIn(key=["sales", "orders"])})
    def total(orders):
        return sum(orders)

    io = S3PickleIOManager(s3_resource=resource, s3_bucket=bucket, s3_prefix="lake")
    result = hw.materialize([orders, total], resources={"io_manager": io})
    client = resource.get_client()
    assert _keys(client, bucket) == ["lake/sales/orders", "lake/total"]
    body = client.get_object(Bucket=bucket, Key="lake/total")["Body"].read()
    assert pickle.loads(body) == 6
    [mat] = [m for m in result.asset_materializations_for_node("total")]
    assert mat.metadata["uri"].value == f"s3://{bucket}/lake/total"
    assert mat.metadata["path"].value == "lake/total"
    # a second run reads the stored upstream value without recomputing it
    again = hw.materialize([orders.to_source_asset(), total], resources={"io_manager": io},
                           selection=[total])
    assert again.output_for_node("total") == 6


def test_partitions_are_stored_one_object_each(s3):
    """A partitioned asset writes <prefix>/<key>/<partition>; a downstream reads them all."""
    resource, bucket = s3
    days = hw.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-03")

    @hw.asset(partitions_def=days)
    def daily(context):
        return context.partition_key

    @hw.asset
    def everything(daily: dict) -> list:
        return sorted(daily.values())

    io = S3PickleIOManager(s3_resource=resource, s3_bucket=bucket, s3_prefix="p")
    for day in ("2024-01-01", "2024-01-02"):
        hw.materialize([daily], partition_key=day, resources={"io_manager": io})
    client = resource.get_client()
    assert _keys(client, bucket) == ["p/daily/2024-01-01", "p/daily/2024-01-02"]
    result = hw.materialize([daily.to_source_asset(), everything], resources={"io_manager": io},
                            selection=[everything])
    assert result.output_for_node("everything") == ["2024-01-01", "2024-01-02"]


def test_the_function_style_manager_uses_the_s3_resource(s3, endpoint):
    """s3_pickle_io_manager reads the `s3` resource's client; op outputs go under storage/."""
    _, bucket = s3

    @hw.op
    def make():
        return {"a": 1}

    @hw.op
    def use(value):
        return value["a"] + 1

    @hw.job(resource_defs={
        "io_manager": s3_pickle_io_manager.configured({"s3_bucket": bucket, "s3_prefix": "ops"}),
        "s3": s3_resource.configured({"endpoint_url": endpoint, **CREDENTIALS}),
    })
    def pipeline():
        use(make())

    result = pipeline.execute_in_process()
    assert result.output_for_node("use") == 2
    keys = _keys(S3Resource(endpoint_url=endpoint, **CREDENTIALS).get_client(), bucket)
    assert keys == [f"ops/storage/{result.run_id}/make/result",
                    f"ops/storage/{result.run_id}/use/result"]


def test_a_missing_bucket_fails_with_the_fix(s3):
    """A bucket that does not exist is named in the error, with what to do."""
    resource, _ = s3
    with pytest.raises(FileNotFoundError, match="S3 bucket 'no-such-bucket' does not exist"):
        PickledObjectS3IOManager("no-such-bucket", resource.get_client())


def test_reading_an_asset_never_written_names_it(s3):
    """Loading an asset with no stored object says which asset and where."""
    resource, bucket = s3

    @hw.asset
    def upstream():
        return 1

    @hw.asset
    def downstream(upstream):
        return upstream

    io = S3PickleIOManager(s3_resource=resource, s3_bucket=bucket)
    result = hw.materialize([upstream.to_source_asset(), downstream],
                            resources={"io_manager": io}, raise_on_error=False)
    assert not result.success
    [failure] = result.get_step_failure_events()
    text = str(failure.event_specific_data.error)
    assert "upstream" in text and "headwater/upstream" in text


def test_an_unreachable_endpoint_is_named():
    """A wrong endpoint fails with the endpoint in the message."""
    client = S3Resource(endpoint_url=f"http://127.0.0.1:{_port()}", max_attempts=1,
                        **CREDENTIALS).get_client()
    with pytest.raises(ConnectionError, match="Cannot reach S3 bucket 'b' at http://127.0.0.1"):
        PickledObjectS3IOManager("b", client)


def test_the_resource_config_reaches_the_client(endpoint):
    """region, endpoint, retries and credentials configure the boto3 client."""
    client = S3Resource(endpoint_url=endpoint, max_attempts=3, **CREDENTIALS).get_client()
    assert client.meta.region_name == "us-east-1"
    assert client.meta.endpoint_url == endpoint
    assert client.meta.config.retries["total_max_attempts"] == 3  # the first call counts
    with pytest.raises(ValueError, match="both aws_access_key_id and aws_secret_access_key"):
        S3Resource(aws_access_key_id="only-the-id").get_client()
    with pytest.raises(ValueError, match="at least 1"):
        S3Resource(max_attempts=0).get_client()


def test_file_manager_writes_and_reads_handles(s3):
    """S3FileManagerResource writes under the prefix and reads the handles back."""
    resource, bucket = s3
    manager = S3FileManagerResource(s3_bucket=bucket, s3_prefix="files",
                                    endpoint_url=resource.endpoint_url, **CREDENTIALS).get_client()
    handle = manager.write_data(b"hello", ext="txt")
    assert isinstance(handle, S3FileHandle) and handle.s3_bucket == bucket
    assert handle.s3_key.startswith("files/") and handle.s3_key.endswith(".txt")
    assert handle.s3_path == f"s3://{bucket}/{handle.s3_key}"
    assert manager.read_data(handle) == b"hello"
    local = manager.copy_handle_to_local_temp(handle)
    with open(local, "rb") as f:
        assert f.read() == b"hello"
    manager.delete_local_temp()
    with pytest.raises(TypeError, match="S3FileManager reads S3FileHandles"):
        manager.read_data(hw.LocalFileHandle("/tmp/x"))


def test_ops_pass_s3_files_and_coordinates(s3, endpoint):
    """s3_file_manager hands ops handles; file_handle_to_s3 uploads; S3Coordinate loads."""
    _, bucket = s3
    config = {"endpoint_url": endpoint, **CREDENTIALS}

    @hw.op(required_resource_keys={"file_manager"})
    def write(context):
        return context.resources.file_manager.write_data(b"payload")

    @hw.op(ins={"where": hw.In(S3Coordinate)}, required_resource_keys={"s3"})
    def read(context, where, uploaded: S3FileHandle):
        assert (uploaded.s3_bucket, uploaded.s3_key) == (where["bucket"], where["key"])
        return context.resources.s3.get_object(Bucket=where["bucket"],
                                               Key=where["key"])["Body"].read()

    @hw.job(resource_defs={
        "s3": s3_resource.configured(config),
        "file_manager": s3_file_manager.configured({"s3_bucket": bucket, **config}),
    })
    def files():
        read(uploaded=file_handle_to_s3(write()))

    result = files.execute_in_process(run_config={"ops": {
        "file_handle_to_s3": {"config": {"Bucket": bucket, "Key": "out/copy.bin"}},
        "read": {"inputs": {"where": {"bucket": bucket, "key": "out/copy.bin"}}},
    }})
    assert result.output_for_node("read") == b"payload"
    [mat] = result.asset_materializations_for_node("file_handle_to_s3")
    assert mat.asset_key == hw.AssetKey([f"s3://{bucket}/out/copy.bin"])


def test_a_failed_write_keeps_the_stored_value(s3):
    """A value that cannot be pickled fails the step and leaves the previous object intact."""
    resource, bucket = s3
    io = S3PickleIOManager(s3_resource=resource, s3_bucket=bucket, s3_prefix="keep")

    @hw.asset(name="thing")
    def good():
        return "v1"

    @hw.asset(name="thing")
    def bad():
        return lambda: None  # not picklable

    hw.materialize([good], resources={"io_manager": io})
    result = hw.materialize([bad], resources={"io_manager": io}, raise_on_error=False)
    assert not result.success
    body = resource.get_client().get_object(Bucket=bucket, Key="keep/thing")["Body"].read()
    assert pickle.loads(body) == "v1"


def test_get_s3_keys_lists_what_a_sensor_has_not_seen(s3):
    """Keys come oldest first; since_key gives the ones after it; a sensor posts each once."""
    from headwater_aws.s3 import get_s3_keys

    resource, bucket = s3
    client = resource.get_client()
    for name in ("in/a.csv", "in/b.csv"):
        client.put_object(Bucket=bucket, Key=name, Body=b"x")
    client.put_object(Bucket=bucket, Key="other/c.csv", Body=b"x")
    assert get_s3_keys(bucket, prefix="in/", s3_session=client) == ["in/a.csv", "in/b.csv"]
    assert get_s3_keys(bucket, "in/", since_key="in/a.csv", s3_session=client) == ["in/b.csv"]
    assert get_s3_keys(bucket, "in/", since_key="in/b.csv", s3_session=client) == []

    @hw.op
    def ingest():
        pass

    @hw.job
    def load():
        ingest()

    @hw.sensor(job=load)
    def new_files(context):
        keys = get_s3_keys(bucket, prefix="in/", since_key=context.cursor, s3_session=client)
        for key in keys:
            yield hw.RunRequest(run_key=key)
        if keys:
            context.update_cursor(keys[-1])

    first = hw.build_sensor_context()
    assert [r.run_key for r in new_files(first)] == ["in/a.csv", "in/b.csv"]
    client.put_object(Bucket=bucket, Key="in/d.csv", Body=b"x")
    second = hw.build_sensor_context(cursor=first.cursor)
    assert [r.run_key for r in new_files(second)] == ["in/d.csv"]
