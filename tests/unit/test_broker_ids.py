import pytest

from retailsync.broker.cluster import _new_cluster_id

pytestmark = pytest.mark.unit


def test_cluster_ids_never_look_like_an_option() -> None:
    ids = [_new_cluster_id() for _ in range(5_000)]  # about 78 would start with "-" otherwise
    assert all(len(cluster_id) == 22 and not cluster_id.startswith("-") for cluster_id in ids)
    assert len(set(ids)) == len(ids)
