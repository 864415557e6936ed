"""Data quality: duplicate pairs, merges, undo and splits. Parse, authorize, call the service, shape the response."""

from functools import cache
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from cis.api import http
from cis.api.operations import operation
from cis.domain.duplicates import PAIR_ID_PATTERN, DismissedPair, DuplicatePage, customers_of
from cis.domain.duplicates import pair_id as id_of_pair
from cis.domain.import_files import ImportFile, ImportUploadRequest
from cis.domain.imports import ImportReport, ImportRequest
from cis.domain.merging import MergeLog, MergeRequest
from cis.domain.splitting import SplitRequest, SplitResult
from cis.repository.factory import (
    customer_repository,
    duplicate_repository,
    dynamodb_client,
    idempotency_store,
    import_file_repository,
    import_repository,
    merge_repository,
    upload_bucket,
)
from cis.service.customers import CustomerService, utcnow
from cis.service.duplicates import DuplicateFinder

if TYPE_CHECKING:
    from cis.service.import_files import ImportFileService
    from cis.service.imports import ImportService
    from cis.service.merges import MergeService

# X-Ray patches botocore only: its every-library default imports and patches requests, httpx, sqlite3...
logger, tracer, metrics = Logger(), Tracer(patch_modules=["botocore"]), Metrics()
client = dynamodb_client()
blocks = duplicate_repository(client)
duplicates = DuplicateFinder(blocks, utcnow)
customers = CustomerService(customer_repository(client), duplicates)
app = http.create_resolver(lambda: idempotency_store(client))


# The merge and import services, with their repositories and plans, are made at the first request
# that needs them: the duplicate listing, this function's common request, uses neither.
@cache
def merges() -> "MergeService":
    from cis.service.merges import MergeService  # lazy: see above

    return MergeService(merge_repository(client), utcnow)


@cache
def imports() -> "ImportService":
    from cis.service.imports import ImportService  # lazy: see above

    return ImportService(import_repository(client), customers, duplicates, blocks, utcnow)


@cache
def import_files() -> "ImportFileService":
    from cis.service.import_files import ImportFileService  # lazy: see above

    return ImportFileService(import_file_repository(client), upload_bucket(), utcnow)


PairId = Annotated[str, Path(pattern=PAIR_ID_PATTERN, description="<customer id>~<other customer id>, sorted")]
MergeId = Annotated[str, Path(pattern=http.ULID_PATTERN, description="Merge id (ULID)")]
ImportId = Annotated[str, Path(pattern=http.ULID_PATTERN, description="Import id (ULID)")]


@operation(app, "listDuplicates")
def list_duplicates(
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    min_score: Annotated[
        float, Query(ge=0, le=1, description="Only pairs scored at least this (to 0.001); 0.8 and above are likely")
    ] = 0,
) -> DuplicatePage:
    page = duplicates.page(limit, cursor, min_score)
    return DuplicatePage.model_validate({"items": page.items, "next_cursor": page.next_cursor})


@operation(app, "dismissDuplicate")
def dismiss_duplicate(pair_id: PairId) -> DismissedPair:
    first, second = sorted(customers_of(pair_id))  # either order names the same pair
    kept = customers.keep_apart(first, second, http.principal(app).actor)
    logger.info("pair dismissed", extra={"customer_ids": [first, second]})
    return DismissedPair(
        pair_id=id_of_pair(first, second), customer_ids=[first, second], versions=[c.version for c in kept]
    )


@operation(app, "mergeCustomers")
def merge_customers(customer_id: http.CustomerId, body: MergeRequest) -> MergeLog:
    merged = merges().merge(customer_id, body, http.principal(app).actor)
    metrics.add_metric(name="CustomersMerged", unit=MetricUnit.Count, value=len(merged.merged_ids))
    logger.info("customers merged", extra={"merge_id": merged.merge_id, "items_changed": merged.items_changed})
    return merged


@operation(app, "splitCustomer")
def split_customer(customer_id: http.CustomerId, body: SplitRequest) -> SplitResult:
    split = merges().split(customer_id, body, http.principal(app).actor)
    logger.info("customer split", extra={"split_id": split.split_id, "items_moved": split.items_moved})
    return split


@operation(app, "getMerge")
def get_merge(merge_id: MergeId) -> MergeLog:
    return merges().get(merge_id)


@operation(app, "undoMerge")
def undo_merge(merge_id: MergeId) -> MergeLog:
    undone = merges().undo(merge_id, http.principal(app).actor)
    logger.info("merge undone", extra={"merge_id": merge_id})
    return undone


@operation(app, "importCustomers")
def import_customers(body: ImportRequest) -> ImportReport:
    # Imported records name the import as their source, and who ran it.
    report = imports().load(body, f"import:{http.principal(app).actor}")
    metrics.add_metric(name="CustomersImported", unit=MetricUnit.Count, value=report.created)
    logger.info("import chunk", extra=report.model_dump(exclude={"results"}))
    return report


@operation(app, "createImportUpload")
def create_import_upload(body: ImportUploadRequest) -> Response[ImportFile]:
    started = import_files().start(body, http.principal(app).actor)
    logger.info("import upload started", extra={"import_id": started.import_id})
    return http.model_response(201, started, {"Location": f"/v1/imports/{started.import_id}"})


@operation(app, "getImport")
def get_import(
    import_id: ImportId,
    limit: Annotated[int, Query(ge=0, le=500, description="Report rows per page; 0: the state and counts only")] = 100,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> ImportFile:
    return import_files().get(import_id, limit, cursor)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)  # responses hold personal data
@metrics.log_metrics
def handler(event, context):
    return http.handle(app, event, context)
