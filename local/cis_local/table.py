"""Create the single table from the topology's declaration: the same one the CDK app deploys."""

from __future__ import annotations

from collections.abc import Iterable

from cis.topology import TABLE


def table_definition(name: str) -> dict:
    key_attributes = [TABLE.partition_key, TABLE.sort_key]
    for index in TABLE.indexes:
        key_attributes += [index.partition_key, index.sort_key]
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in dict.fromkeys(key_attributes)],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": TABLE.stream},
        "KeySchema": [
            {"AttributeName": TABLE.partition_key, "KeyType": "HASH"},
            {"AttributeName": TABLE.sort_key, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in TABLE.indexes
        ],
    }


def ensure_table(client, name: str) -> bool:
    """Create the table if it is missing; True when it was created."""
    if name in client.list_tables().get("TableNames", []):
        return False
    client.create_table(**table_definition(name))
    client.get_waiter("table_exists").wait(TableName=name)
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TABLE.ttl_attribute}
    )
    return True


def restore_in_process(client, name: str, items: Iterable[dict]) -> int:
    """Put items straight into this process's moto table, as a restore from a backup would: no stream
    records, no request parsing. For tests and benchmarks that need a large table to exist: through
    BatchWriteItem, 98,000 items took over 5 minutes in moto; this way, about 15 seconds."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][client.meta.region_name].get_table(name)
    new = DynamoType.__new__

    def typed(value: dict) -> DynamoType:
        """DynamoType(value), without its per-level list() copies and method calls: a third of the time."""
        ((kind, raw),) = value.items()
        if kind == "L":
            raw = [typed(member) for member in raw]
        elif kind == "M":
            raw = {key: typed(member) for key, member in raw.items()}
        made = new(DynamoType)
        made.type, made.value = kind, raw
        return made

    count = 0
    for attributes in items:
        item = Item.__new__(Item)  # as moto's Item(), less its size check (these are the repositories' own)
        item.hash_key, item.range_key = typed(attributes[TABLE.partition_key]), typed(attributes[TABLE.sort_key])
        item.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
        dict.update(item.attrs, {name: typed(value) for name, value in attributes.items()})
        table.items[item.hash_key][item.range_key] = item
        count += 1
    return count
