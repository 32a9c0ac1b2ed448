"""The local file manager: ops hand files to each other by LocalFileHandle."""

from __future__ import annotations

import os

import pytest

from headwater import LocalFileHandle, job, local_file_manager, op


def test_ops_pass_files_by_handle(tmp_path):
    @op(required_resource_keys={"file_manager"})
    def write(context):
        return context.resources.file_manager.write_data(b"a,b\n1,2\n", ext="csv")

    @op(required_resource_keys={"file_manager"})
    def read(context, handle: LocalFileHandle):
        manager = context.resources.file_manager
        copy = manager.copy_handle_to_local_temp(handle)
        with open(copy, "rb") as f:
            assert f.read() == manager.read_data(handle)
        return handle.path, copy

    @job(resource_defs={"file_manager": local_file_manager.configured(
        {"base_dir": str(tmp_path)})})
    def files():
        read(write())

    result = files.execute_in_process()
    path, copy = result.output_for_node("read")
    assert os.path.dirname(path) == str(tmp_path) and path.endswith(".csv")
    assert not os.path.exists(copy)  # temporary copies go with the resource


def test_write_data_refuses_text(tmp_path):
    @op(required_resource_keys={"file_manager"})
    def bad(context):
        context.resources.file_manager.write_data("text")

    @job(resource_defs={"file_manager": local_file_manager})
    def wrong():
        bad()

    with pytest.raises(TypeError, match=r"write_data takes bytes, got str"):
        wrong.execute_in_process(run_config={"resources": {"file_manager": {
            "config": {"base_dir": str(tmp_path)}}}})
