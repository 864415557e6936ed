"""Corrections to moto 5.2's costs (DynamoDB's above all), for the local runtime's server (moto is pinned
in pyproject).

Each keeps moto's answers and makes its work grow with what a request touches, as DynamoDB's does,
instead of with the table: without them a 10,000-customer import slowed to minutes per chunk.

1. Query. moto builds and sorts a list of every item in the table for each Query, comparing typed
values through slow Python (a Query on a 2,000-customer table spent ~0.1 s; an index Query on a
20,000-customer one 2.8 s). A Query now sees only its partition, of the table or of the index (found
by comparing plain key values), and sorting compares plain values.

2. TransactWriteItems. moto's TransactWriteItems deep-copies the whole table once per item of the transaction, to roll
back if a condition fails: a 3-item create takes 0.5 s on a 2,000-item table and a 100-item one
23 s (measured), so the local API slowed down as it filled. The rollback also swaps in the copied
table, and an open stream iterator then reads the stale copy, rolled-back writes included.

3. Responses. moto 5.2 writes every DynamoDB answer through its generic, model-driven serializer:
24 ms for one GetItem of a profile with its maps. Item operations' answers are DynamoDB JSON already
(moto builds them so), so they are now written with json.dumps (binary values in base64, as the
serializer writes them); other operations keep the serializer.

4. Item. moto re-measures the whole item each time it sets one attribute, to enforce the 400 KB
limit: quadratic in the attributes, 5 ms per profile item. The size is now measured once, with
moto's own measure and limit.

5. Stream records. DynamoDB Streams' GetRecords went through the same generic serializer, which walks
every attribute of every NewImage and OldImage against the service model: ~9 ms a record, so one
100-record read held the server's one-request-at-a-time lock for about a second, and every API call
waited behind it. Its records are DynamoDB JSON already too (moto keeps each as built at write time):
they are now written with json.dumps, their one timestamp as moto's serializer writes it.

6. Shard iterators. moto keeps every shard iterator it ever handed out (two per poll of the stream,
hundreds of thousands a day for a local runtime left running); DynamoDB's expire after 15 minutes.
The newest 10,000 are kept.

7. Dispatch. For every request moto's server lists and stats its own package folder (to tell a
service's name from a host) and lists the handler class's methods through inspect: ~1 ms of a 2 ms
GetItem. Both answers are fixed while the server runs, so each is worked out once.

8. PutEvents. Delivering an event to a queue target builds a JSONPath parser (ply's yacc, tables and
all) for each of the eight input paths: ~9 ms an event. A parsed path is used read-only, so each
path text is parsed once.

9. Update expressions, most of an UpdateItem's or transaction's cost: the expression was parsed for
the request's validation and again for the update, its tree deep-copied through copy's generic
reduce protocol, then walked by ten processors that each rebuilt their node-type table at every
node. An expression text is now parsed once (the tree is only read, or deep-copied before it is
changed), a tree node copies its attributes directly, and each processor builds its table once.

10. SendMessage. moto works out every attribute of the queue (counting its messages, visible, delayed
and in flight, one by one) to read whether a FIFO queue deduplicates by content: a send cost grows
with the queue, and the runtime's queue of every bus event (read only by `cis events`) grows with
every write, so a 100,000-row import would have slowed quadratically. A standard queue has no such
setting; its sends now skip the count.

11. SESv2 headers. moto's SendEmail drops Content.Simple.Headers (List-Unsubscribe and
List-Unsubscribe-Post on the notifier's emails); they are now kept on the sent message as `headers`,
where `cis sent` and the tests read them. A fidelity fix, not a cost: the answer is moto's.

DynamoDB checks every condition against the state before the transaction, so the replacement
does exactly that first and writes nothing if one fails; only then does it apply the writes. A
write that fails while applying (an invalid update expression) puts back the items already
written, from copies of those items alone. What it raises is what moto raised.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

import jsonpath_ng.ext
import moto.backends
import moto.core.responses
import moto.dynamodb.models as dynamodb_models
import moto.dynamodb.responses as dynamodb_responses
from botocore.utils import parse_to_aware_datetime
from moto.core.responses import ActionResult
from moto.core.serialize import TimestampSerializer
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    ItemSizeTooLarge,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict, bytesize
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node
from moto.dynamodb.parsing.expressions import UpdateExpressionParser
from moto.dynamodb.responses import DynamoResult
from moto.dynamodbstreams.models import DynamoDBStreamsBackend
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.sesv2.responses import SESV2Response
from moto.sqs.models import Queue as SqsQueue
from moto.sqs.models import SQSBackend

_QUERY, _ALL_ITEMS, _EXECUTE = Table.query, Table.all_items, DynamoResult.execute_result
_GET_RECORDS = DynamoDBStreamsHandler.get_records
_GET_SHARD_ITERATOR = DynamoDBStreamsBackend.get_shard_iterator
_BACKEND_GET_RECORDS = DynamoDBStreamsBackend.get_records
_SEND_EMAIL = SESV2Response.send_email
_ITERATORS_KEPT = 10_000
_ITEM_OPERATIONS = frozenset(
    [
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    ]
)
_MOST_BYTES = 405_000  # moto's own limit (DynamoDB's 400 KB, as measured by moto)


def _order(value) -> tuple:
    """DynamoDB's key order (strings by code point, numbers by value) without moto's typed compare."""
    return (value.type, Decimal(value.value) if value.type == "N" else value.value)


def all_items(self: Table) -> list:
    items = [
        item
        for partition in self.items.values()
        for item in (partition.values() if self.range_key_attr else [partition])
    ]
    return sorted(items, key=lambda item: (_order(item.hash_key), _order(item.range_key) if item.range_key else ()))


def _index_partition(items: dict, conditions: list) -> dict:
    """The items whose index key attributes equal the Query's, in the table's own layout."""
    wanted = [(name, value.type, value.value) for name, value in conditions]
    found: dict = {}
    for hash_key, partition in items.items():
        for range_key, item in partition.items():
            attrs = item.attrs
            for name, kind, value in wanted:
                typed = attrs.get(name)
                if typed is None or typed.value != value or typed.type != kind:
                    break
            else:
                found.setdefault(hash_key, {})[range_key] = item
    return found


def query(self: Table, hash_key, *args, **kwargs):
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")  # moto passes it 8th
    conditions = kwargs.get("hash_key_conditions")
    everything = self.items
    if index_name is None and hash_key is not None:
        partition = {hash_key: everything[hash_key]} if hash_key in everything else {}
    elif index_name is not None and conditions and self.range_key_attr is not None:
        partition = _index_partition(everything, conditions)
    else:
        return _QUERY(self, hash_key, *args, **kwargs)
    # One request at a time (AtomicMotoServer, or a test's own thread): the table shows only the
    # partition meanwhile, and moto's Query does the rest as it always does.
    self.items = partition
    try:
        return _QUERY(self, hash_key, *args, **kwargs)
    finally:
        self.items = everything


def execute_result(self: DynamoResult, context) -> tuple[int, dict, str]:
    if context.operation_model.name not in _ITEM_OPERATIONS:
        return _EXECUTE(self, context)
    return 200, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(self.result, default=_json_value)


class StreamRecords(ActionResult):
    """GetRecords' answer, written as moto's JSON serializer would write it, without walking the model."""

    def execute_result(self, context) -> tuple[int, dict, str]:
        version = context.service_model.metadata.get("jsonVersion", "1.0")
        return 200, {"Content-Type": f"application/x-amz-json-{version}"}, json.dumps(self.result, default=_json_value)


def _json_value(value: Any) -> int | float | str:
    """What moto's JSON serializer writes for the two non-JSON values an answer holds."""
    if isinstance(value, datetime):  # ApproximateCreationDateTime: epoch seconds
        return TimestampSerializer._timestamp_unixtimestamp(parse_to_aware_datetime(value))
    if isinstance(value, bytes):  # B and BS values, which the images hold decoded: base64
        return base64.b64encode(value).decode("utf-8")
    raise TypeError(f"{type(value).__name__} in an answer")


def get_records(self: DynamoDBStreamsHandler) -> ActionResult:
    return StreamRecords(_GET_RECORDS(self).result)


def _expire_iterators(backend: DynamoDBStreamsBackend) -> None:
    iterators = backend.shard_iterators  # oldest first: a dict keeps the order of insertion
    while len(iterators) > _ITERATORS_KEPT:
        del iterators[next(iter(iterators))]


def get_shard_iterator(self: DynamoDBStreamsBackend, *args, **kwargs):
    try:
        return _GET_SHARD_ITERATOR(self, *args, **kwargs)
    finally:
        _expire_iterators(self)


def backend_get_records(self: DynamoDBStreamsBackend, *args, **kwargs) -> dict:
    try:
        return _BACKEND_GET_RECORDS(self, *args, **kwargs)
    finally:
        _expire_iterators(self)


def item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    self.hash_key, self.range_key = hash_key, range_key
    self.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
    size = 0
    for name, value in attrs.items():
        typed = DynamoType(value)
        size += bytesize(name) + typed.size()
        dict.__setitem__(self.attrs, name, typed)
    if size > _MOST_BYTES:
        raise ItemSizeTooLarge


def _key(backend: DynamoDBBackend, op_type: str, op: dict) -> dict:
    if op_type != "Put":
        return op["Key"]
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


def _check(backend: DynamoDBBackend, op_type: str, op: dict, key: dict) -> tuple[str, str, Any] | tuple[None, ...]:
    current = backend.get_item(op["TableName"], key)
    condition = op.get("ConditionExpression")
    if condition is None:
        return (None, None, None)
    test = get_filter_expression(condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues"))
    if test.expr(current):
        return (None, None, None)
    old = (
        current.to_json()["Attributes"]
        if current and op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
        else None
    )
    return ("ConditionalCheckFailed", ConditionalCheckFailed(item=old).message, old)


def _apply(backend: DynamoDBBackend, op_type: str, op: dict, key: dict) -> None:
    if op_type == "Put":
        backend.put_item(op["TableName"], op["Item"])
    elif op_type == "Delete":
        backend.delete_item(op["TableName"], key)
    elif op_type == "Update":
        names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        backend.update_item(op["TableName"], key, op["UpdateExpression"], names, values)


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    ops, seen = [], set()
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise ValueError("Unsupported transaction operation")
        key = _key(self, op_type, op)
        identity = (op["TableName"], str(dict(sorted(key.items()))))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        ops.append((op_type, op, key))
    errors = [_check(self, op_type, op, key) for op_type, op, key in ops]  # all against the state before
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    before = [(op["TableName"], key, copy.deepcopy(self.get_item(op["TableName"], key))) for _, op, key in ops]
    try:
        for op_type, op, key in ops:
            if op_type != "ConditionCheck":
                _apply(self, op_type, op, key)
    except Exception:
        for table_name, key, item in before:
            if item is None:
                self.delete_item(table_name, key)
            else:
                self.put_item(table_name, item.to_json()["Attributes"])
        raise


_MOTO_MODULES = tuple(moto.backends.list_of_moto_modules())


def list_of_moto_modules() -> tuple[str, ...]:
    return _MOTO_MODULES


method_names_from_class = functools.cache(moto.core.responses.method_names_from_class)
jsonpath = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)


class CachedUpdateExpressionParser:
    """moto's parser, for the two modules that use it: one parse per expression text."""

    make = staticmethod(functools.lru_cache(maxsize=1024)(UpdateExpressionParser.make))


def node_deepcopy(self: Node, memo: dict) -> Node:
    """What copy.deepcopy makes of a node (its attributes deep-copied, shared ones once), directly."""
    found = memo.get(id(self))
    if found is not None:
        return found
    copied = object.__new__(type(self))
    memo[id(self)] = copied
    for name, value in self.__dict__.items():
        copied.__dict__[name] = value if type(value) is str else copy.deepcopy(value, memo)
    return copied


def _processing(traverser: DepthFirstTraverser) -> dict:
    table = traverser.__dict__.get("_processing")
    if table is None:  # every processor's map is a constant: node type -> its bound method
        table = traverser.__dict__["_processing"] = traverser._processing_map()
    return table


def nodes_to_be_processed(self: DepthFirstTraverser) -> tuple:
    types = self.__dict__.get("_types")
    if types is None:
        types = self.__dict__["_types"] = tuple(_processing(self))
    return types


def process(self: DepthFirstTraverser, node: Node):
    for class_key, processor in _processing(self).items():
        if isinstance(node, class_key):
            return processor(node)


def traverse_node_recursively(self: DepthFirstTraverser, node, child_id: int = -1):
    """moto's depth-first walk, with the node types and the child hook looked up once a walk."""
    hook = self.pre_processing_of_child
    if type(self).pre_processing_of_child is DepthFirstTraverser.pre_processing_of_child:
        hook = None  # the base hook does nothing
    return _walk(self, node, child_id, self.nodes_to_be_processed(), hook)


def _walk(self: DepthFirstTraverser, node, child_id: int, types: tuple, hook):
    if isinstance(node, Node):
        parent_node = node.parent
        if node.children is not None:
            for i, child_node in enumerate(node.children):
                if hook is not None:
                    hook(node, i)
                _walk(self, child_node, i, types, hook)
        if isinstance(node, types):
            node = self.process(node)
            node.parent = parent_node
            if parent_node:
                parent_node.children[child_id] = node
    return node


_SENDING = threading.local()
_queue_attributes = SqsQueue.attributes


def queue_attributes(self: SqsQueue) -> dict[str, Any]:
    if getattr(_SENDING, "on", False) and not self.fifo_queue:
        return {}  # what a send reads (ContentBasedDeduplication) a standard queue has not
    return _queue_attributes.fget(self)


_send_message = SQSBackend.send_message


def send_message(self: SQSBackend, *args: Any, **kwargs: Any):
    _SENDING.on = True
    try:
        return _send_message(self, *args, **kwargs)
    finally:
        _SENDING.on = False


def send_email(self: SESV2Response) -> str:
    answer = _SEND_EMAIL(self)
    headers = ((json.loads(self.body).get("Content") or {}).get("Simple") or {}).get("Headers")
    if headers:
        message_id = json.loads(answer)["MessageId"]
        sent = self.sesv2_backend.core_backend.sent_messages
        next(message for message in reversed(sent) if message.id == message_id).headers = headers
    return answer


def _patches() -> list[tuple[type, str, Any]]:
    return [
        (SESV2Response, "send_email", send_email),
        (SqsQueue, "attributes", property(queue_attributes)),
        (SQSBackend, "send_message", send_message),
        (DynamoDBBackend, "transact_write_items", transact_write_items),
        (Table, "query", query),
        (Table, "all_items", all_items),
        (Item, "__init__", item_init),
        (DynamoResult, "execute_result", execute_result),
        (DynamoDBStreamsHandler, "get_records", get_records),
        (DynamoDBStreamsBackend, "get_shard_iterator", get_shard_iterator),
        (DynamoDBStreamsBackend, "get_records", backend_get_records),
        (moto.backends, "list_of_moto_modules", list_of_moto_modules),
        (moto.core.responses, "method_names_from_class", method_names_from_class),
        (jsonpath_ng.ext, "parse", jsonpath),
        (dynamodb_models, "UpdateExpressionParser", CachedUpdateExpressionParser),
        (dynamodb_responses, "UpdateExpressionParser", CachedUpdateExpressionParser),
        (Node, "__deepcopy__", node_deepcopy),
        (DepthFirstTraverser, "nodes_to_be_processed", nodes_to_be_processed),
        (DepthFirstTraverser, "process", process),
        (DepthFirstTraverser, "traverse_node_recursively", traverse_node_recursively),
    ]


def install() -> None:
    """Use these in this process (the local runtime's moto server, which applies one request at a time)."""
    for owner, name, replacement in _patches():
        setattr(owner, name, replacement)


@contextmanager
def installed() -> Iterator[None]:
    """These for a while in a test process; then whatever was there before (installed already, if a
    local runtime's server runs in the same process)."""
    before = [(owner, name, owner.__dict__.get(name, _ABSENT)) for owner, name, _ in _patches()]
    install()
    try:
        yield
    finally:
        for owner, name, value in before:
            if value is _ABSENT:  # inherited (Node's deep copy is object's): inherited again
                delattr(owner, name)
            else:
                setattr(owner, name, value)


_ABSENT = object()
