"""RunRequest.with_resolved_tags_and_config: the partition key must exist, counting the
dynamic partitions added or deleted by the same tick."""

import pytest

import headwater as hw

REGIONS = hw.DynamicPartitionsDefinition(name="regions")


@hw.job(partitions_def=REGIONS)
def per_region():
    pass


@pytest.mark.parametrize("existing, requests, found", [
    (["eu"], [], True),
    ([], [], False),
    ([], [hw.AddDynamicPartitionsRequest("regions", ["eu"])], True),
    ([], [hw.AddDynamicPartitionsRequest("other", ["eu"])], False),
    (["eu"], [hw.DeleteDynamicPartitionsRequest("regions", ["eu"])], False),
])
def test_partition_key_must_exist_after_pending_requests(existing, requests, found):
    """The key is looked up in the instance's partitions with this tick's requests applied."""
    request = hw.RunRequest(partition_key="eu")
    with hw.instance_for_test() as instance:
        instance.add_dynamic_partitions("regions", existing)
        resolve = lambda: request.with_resolved_tags_and_config(  # noqa: E731
            target_definition=per_region, dynamic_partitions_requests=requests,
            dynamic_partitions_store=instance)
        if found:
            assert resolve().partition_key == "eu"
        else:
            with pytest.raises(hw.HeadwaterUnknownPartitionError, match="`eu`"):
                resolve()
