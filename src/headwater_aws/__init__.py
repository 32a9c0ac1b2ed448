"""headwater_aws: Amazon Web Services for headwater, under the names of Dagster's `dagster_aws`.

The services live in subpackages, as in Dagster: `headwater_aws.s3` (the S3 client resource,
a pickling IO manager, file handles and a file manager) and `headwater_aws.pipes` (Pipes
context and messages through an S3 bucket; the external side is in `headwater_pipes`).
Each needs `boto3` (`pip install 'headwater[aws]'`). Imports boto3 and headwater's public
names; `import headwater` never imports this package.
"""

from headwater._extras import needs_extra

# Every service here calls AWS through boto3: without it, importing any of them fails here.
with needs_extra("aws", "headwater_aws"):
    import boto3  # noqa: F401

__all__: list[str] = []
