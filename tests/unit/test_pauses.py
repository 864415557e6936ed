"""The local runtime's processes leave what they built at start out of full garbage collections, and
moto's server leaves out what survived each full collection (cis_local.pauses)."""

import gc

import pytest
from cis_local.pauses import RefreezeAfterFullCollections, settle


@pytest.fixture
def thawed():
    gc.unfreeze()
    yield
    gc.unfreeze()  # this test process collects as before


def test_settling_freezes_what_is_alive(thawed):
    alive = [object() for _ in range(10)]
    settle()
    assert gc.get_freeze_count() > len(alive)


def test_after_a_full_collection_the_next_request_boundary_freezes_the_survivors(thawed):
    pauses = RefreezeAfterFullCollections()
    try:
        gc.collect(1)  # not a full collection: nothing to do
        pauses.between_requests()
        assert gc.get_freeze_count() == 0
        gc.collect()
        assert gc.get_freeze_count() == 0  # not inside the collection: at the next request boundary
        pauses.between_requests()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        pauses.between_requests()  # once per full collection
        assert gc.get_freeze_count() == frozen
    finally:
        gc.callbacks.remove(pauses._seen)
