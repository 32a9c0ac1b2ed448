"""headwater_aws.s3: Amazon S3 under the names of Dagster's `dagster_aws.s3`.

- resources.py: `S3Resource` / `s3_resource` (a boto3 S3 client), `S3FileManagerResource` /
  `s3_file_manager`.
- io_manager.py: `S3PickleIOManager` / `s3_pickle_io_manager` (and the older names
  `ConfigurablePickledObjectS3IOManager`, `PickledObjectS3IOManager`).
- file_manager.py: `S3FileHandle`, `S3FileManager`.
- ops.py: `S3Coordinate` (a bucket + key input loaded from config), `file_handle_to_s3`.
- sensor.py: `get_s3_keys`, the keys a sensor has not seen yet.
- utils.py: `construct_s3_client`.

Imports boto3 and headwater's public names.
"""

from headwater_aws.s3.file_manager import S3FileHandle, S3FileManager
from headwater_aws.s3.io_manager import (
    ConfigurablePickledObjectS3IOManager,
    PickledObjectS3IOManager,
    S3PickleIOManager,
    s3_pickle_io_manager,
)
from headwater_aws.s3.ops import S3Coordinate, file_handle_to_s3
from headwater_aws.s3.resources import (
    S3FileManagerResource,
    S3Resource,
    s3_file_manager,
    s3_resource,
)
from headwater_aws.s3.sensor import get_s3_keys
from headwater_aws.s3.utils import construct_s3_client

__all__ = ["ConfigurablePickledObjectS3IOManager", "PickledObjectS3IOManager", "S3Coordinate",
           "S3FileHandle", "S3FileManager", "S3FileManagerResource", "S3PickleIOManager",
           "S3Resource", "construct_s3_client", "file_handle_to_s3", "get_s3_keys", "s3_file_manager",
           "s3_pickle_io_manager", "s3_resource"]
