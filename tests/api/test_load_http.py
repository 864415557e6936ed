"""Concurrent clients on a few hot customers lose nothing: the short form of `bench/load.py`."""

from cis_local import load


def test_eight_clients_racing_on_three_customers_get_no_error_and_lose_no_update(local_api):
    result = load.run(local_api.url, clients=8, total=400, hot=3, seed=7)
    assert result.requests == 400
    assert result.errors == []
    assert result.lost_updates == []
    assert sum(result.orders.values()) > 50 and sum(len(tags) for tags in result.tags.values()) > 10
