"""Create the single table from the topology's declaration: the same one the CDK app deploys."""

from __future__ import annotations

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
