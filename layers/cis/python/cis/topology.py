"""The one declaration of what runs where: functions, their routes and roles, and the table.

The CDK app builds API Gateway, Lambda and IAM from it; the local runtime builds its
gateway and table from it; the handlers enforce the roles it names. Nothing here imports
AWS libraries, so every one of those readers can load it cheaply. Its records are NamedTuples, not
frozen dataclasses: as immutable, and on Python 3.11 about 8 ms less at every API function's cold
start (a dataclass compiles each of its generated methods separately).
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Role(StrEnum):
    """Staff roles: the Cognito groups of the staff user pool."""

    ADMIN = "admin"
    SALES = "sales"
    SUPPORT = "support"
    MARKETING = "marketing"


ALL_STAFF = frozenset(Role)
PUBLIC: frozenset[Role] = frozenset()


class Route(NamedTuple):
    """One API operation, declared once: the resolver, the OpenAPI document, the local gateway and
    API Gateway all read it. Request and response models come from the handler's signature."""

    method: str
    path: str  # API Gateway resource path, e.g. /v1/customers/{customer_id}
    roles: frozenset[Role]
    summary: str
    operation_id: str  # the OpenAPI operationId clients generate method names from
    status: int = 200  # on success: 201 for a create (with Location), 204 for no body
    # Statuses beyond those every route can answer (400, 401, 403, 422, 503; 410 with a customer's 404;
    # 413 and 415 where a body is taken).
    errors: tuple[int, ...] = ()
    # Response headers on success beyond Location, which every 201 carries: ETag for a versioned
    # resource (If-Match takes it back), Current-State for a consent decision, Review-Pairs for a create
    # with on_duplicate=review.
    headers: tuple[str, ...] = ()
    tag: str = ""  # groups operations in generated clients; empty: the function's tag
    # A customer's own route (/v1/me...): customer-pool tokens only, and never a customer id in the
    # request: the handler binds every call to the caller's linked record. Staff roles do not apply.
    customer: bool = False
    # Authorized by a signed token in the request itself (an unsubscribe link's), not by a sign-in: no
    # Cognito authorizer, no role; the handler verifies the token and acts on what it names only.
    signed: bool = False
    # Takes an application/x-www-form-urlencoded body instead of JSON (RFC 8058's one-click POST).
    form: bool = False

    @property
    def public(self) -> bool:
        """No token of any kind: the API's shape only (the OpenAPI document, Swagger UI)."""
        return not self.roles and not self.customer and not self.signed

    @property
    def signed_in(self) -> bool:
        """Reached through a Cognito authorizer: a staff or a customer token."""
        return bool(self.roles) or self.customer

    @property
    def takes_idempotency_key(self) -> bool:
        """POST is the one method a blind retry could apply twice: every POST takes an Idempotency-Key,
        but a signed one, whose token names the one thing it does (a withdrawal, the same however often)."""
        return self.method == "POST" and not self.signed


class Schedule(NamedTuple):
    """A daily job, at a time of day in the business time zone (EventBridge Scheduler, cron)."""

    job: str  # its name for `cis jobs run <job>`
    hour: int
    minute: int = 0
    retry_attempts: int = 3  # the scheduler's retries of a failed invocation, then its dead-letter queue

    @property
    def cron(self) -> str:
        return f"cron({self.minute} {self.hour} * * ? *)"


class EventQueue(NamedTuple):
    """Domain events delivered through an SQS queue (with a dead-letter queue) in batches."""

    detail_types: tuple[str, ...]
    batch_size: int = 10
    visibility_timeout_s: int = 120  # at least the function's timeout, as Lambda requires
    # A deferral (quiet hours) is a receive too: room for it, then a few real retries.
    max_receive_count: int = 5


class WorkQueue(NamedTuple):
    """Work handed to a function through an SQS queue of its own (with a dead-letter queue): files
    uploaded to the upload bucket (S3 event notifications), and the parts the function itself cuts
    them into. One message a batch: a part is a few hundred rows, and gets the whole timeout."""

    batch_size: int = 1
    visibility_timeout_s: int = 720  # six times the function's timeout, as AWS advises for SQS sources
    max_receive_count: int = 3  # a part that fails three times goes to the dead-letter queue, and is reported
    max_concurrency: int = 10  # parts in parallel: each holds transactions on the table's blocks


class Function(NamedTuple):
    name: str  # folder under functions/, module handler.py, entry point handler()
    description: str
    routes: tuple[Route, ...]
    table_access: str  # "none" | "read" | "read_write"
    tag: str = ""  # the OpenAPI tag of its routes, unless a route names its own
    memory_mb: int = 512
    timeout_s: int = 10
    # Invoked with batches of the table's stream records (NEW_AND_OLD_IMAGES), not by routes.
    reads_table_stream: bool = False
    # Only records whose new image is one of these entities reach it (an event filter): the lookup,
    # blocking, ledger and audit items the stream also carries are bookkeeping it has no use for.
    stream_entities: tuple[str, ...] = ()
    # May put events on the project's EventBridge bus.
    publishes_events: bool = False
    schedule: Schedule | None = None
    queue: EventQueue | None = None
    sends: tuple[str, ...] = ()  # "email" (SES), "sms" (SNS to phone numbers), "push" (SNS mobile push)
    # Makes and deletes the customer app's push endpoints (SNS platform endpoints) as devices register.
    registers_devices: bool = False
    # Deletes the push endpoints of the customers it erases (their tokens are personal data); makes none.
    deletes_devices: bool = False
    # The upload bucket: "sign" may sign upload URLs for it (s3:PutObject under uploads/, as the URL
    # acts with its signer's rights); "read" reads uploaded files.
    uploads: str = "none"  # "none" | "sign" | "read"
    work: WorkQueue | None = None
    # Invoked by the customer user pool as these Cognito Lambda triggers, e.g. ("post_confirmation",).
    cognito_triggers: tuple[str, ...] = ()
    # The KMS HMAC key of unsubscribe links: "sign" may make MACs (kms:GenerateMac), "verify" check them.
    link_key: str = "none"  # "none" | "sign" | "verify"

    @property
    def uses_idempotency(self) -> bool:
        """Only these functions may write the idempotency records (Powertools Idempotency)."""
        return any(route.takes_idempotency_key for route in self.routes)

    def tag_of(self, route: Route) -> str:
        return route.tag or self.tag


class Index(NamedTuple):
    name: str
    partition_key: str
    sort_key: str


class TableSpec(NamedTuple):
    partition_key: str
    sort_key: str
    ttl_attribute: str
    indexes: tuple[Index, ...] = ()
    stream: str = "NEW_AND_OLD_IMAGES"  # the stream processor needs both images for the audit diff


TABLE = TableSpec(
    partition_key="PK",
    sort_key="SK",
    ttl_attribute="expires_at",
    indexes=(Index("GSI1", "GSI1PK", "GSI1SK"), Index("GSI2", "GSI2PK", "GSI2SK")),
)

WRITERS = frozenset({Role.ADMIN, Role.SALES, Role.SUPPORT})
ETAG = ("ETag",)
CREATED = (*ETAG, "Review-Pairs")  # a customer's create names the pairs it listed for review

CUSTOMERS_API = Function(
    name="customers_api",
    description="Staff API for customer profiles: create, read, update, archive, look up, list.",
    table_access="read_write",
    deletes_devices=True,  # erasure (eraseCustomer)
    tag="customers",
    routes=(
        Route("POST", "/v1/customers", WRITERS, "Create a customer", "createCustomer", 201, (409,), CREATED),
        Route(
            "GET",
            "/v1/customers",
            ALL_STAFF,
            "List customers, or look one up by email, phone or external id",
            "listCustomers",
        ),
        Route("GET", "/v1/customers/{customer_id}", ALL_STAFF, "Read a customer", "getCustomer", 200, (404,), ETAG),
        Route(
            "PATCH",
            "/v1/customers/{customer_id}",
            ALL_STAFF,
            "Update a customer (JSON merge patch)",
            "updateCustomer",
            200,
            (404, 409, 412),
            ETAG,
        ),
        Route("PUT", "/v1/customers/{customer_id}/tags/{tag}", ALL_STAFF, "Add a tag", "addTag", 200, (404, 409), ETAG),
        Route(
            "DELETE",
            "/v1/customers/{customer_id}/tags/{tag}",
            ALL_STAFF,
            "Remove a tag",
            "removeTag",
            200,
            (404, 409),
            ETAG,
        ),
        # Archiving hides a customer from every team's lists: not a marketing decision.
        Route(
            "DELETE",
            "/v1/customers/{customer_id}",
            WRITERS,
            "Archive a customer: it leaves every list but ?status=archived and takes no changes until restored",
            "archiveCustomer",
            204,
            (404, 412),
        ),
        Route(
            "POST",
            "/v1/customers/{customer_id}/restore",
            frozenset({Role.ADMIN, Role.SUPPORT}),
            "Restore an archived customer: active again, back in its lists",
            "restoreCustomer",
            200,
            (404, 409, 412),
            ETAG,
        ),
        Route(
            "POST",
            "/v1/customers/{customer_id}/erase",
            frozenset({Role.ADMIN}),
            "Erase a customer's personal data everywhere (GDPR art. 17): a tombstone and suppressed contacts remain",
            "eraseCustomer",
            200,
            (404, 409, 410),
        ),
        Route(
            "GET",
            "/v1/customers/{customer_id}/export",
            frozenset({Role.ADMIN}),
            "Everything held about a customer, as one JSON document (GDPR art. 15 and 20)",
            "exportCustomer",
            200,
            (404, 410),
        ),
        Route(
            "GET",
            "/v1/access-log",
            frozenset({Role.ADMIN}),
            "Who exported, listed or erased customers on a day: from the audit space no API function may write",
            "getAccessLog",
            tag="audit",
        ),
    ),
)

ENTRY = "/v1/customers/{customer_id}"
TIMELINE_API = Function(
    name="timeline_api",
    description="Customer timelines: record interactions, update tickets, page the timeline, the 360 view.",
    table_access="read_write",
    tag="timeline",
    routes=(
        Route(
            "POST", f"{ENTRY}/interactions", ALL_STAFF, "Record an interaction", "recordInteraction", 201, (404, 409)
        ),
        Route(
            "PATCH",
            f"{ENTRY}/interactions/{{interaction_id}}",
            frozenset({Role.ADMIN, Role.SUPPORT}),
            "Update a support ticket's status",
            "updateTicket",
            200,
            (404, 409),
        ),
        Route(
            "POST",
            f"{ENTRY}/interactions/{{interaction_id}}/messages",
            frozenset({Role.ADMIN, Role.SUPPORT}),
            "Reply on a support ticket's thread: the customer sees it in their app and is told by their channel",
            "replyToTicket",
            201,
            (404, 409),
        ),
        Route(
            "GET",
            f"{ENTRY}/timeline",
            ALL_STAFF,
            "A page of the timeline, newest first",
            "getTimeline",
            200,
            (404, 409),  # 409: entries kept landing where a page of what the caller may see ends (retry)
        ),
        Route(
            "GET",
            f"{ENTRY}/360",
            ALL_STAFF,
            "Everything about a customer in one view",
            "getCustomer360",
            200,
            (404,),
            ETAG,
            tag="customers",
        ),
        Route(
            "GET",
            f"{ENTRY}/history",
            ALL_STAFF,
            "The audit trail: who changed what, when, newest first",
            "getHistory",
            200,
            (404, 409),
            tag="audit",
        ),
    ),
)

CONSENTS_API = Function(
    name="consents_api",
    description="The consent ledger: record changes per channel and purpose, read current state and history.",
    table_access="read_write",
    tag="consents",
    routes=(
        Route(
            "PUT",
            f"{ENTRY}/consents/{{channel}}/{{purpose}}",
            ALL_STAFF,
            "Record a consent decision for one channel and purpose",
            "recordConsent",
            200,
            (404, 409),
            ("Current-State",),
        ),
        Route(
            "GET", f"{ENTRY}/consents", ALL_STAFF, "Current consent per channel and purpose", "getConsents", 200, (404,)
        ),
        Route(
            "GET",
            f"{ENTRY}/consents/{{channel}}/{{purpose}}/history",
            ALL_STAFF,
            "Every recorded change for one channel and purpose, newest first",
            "getConsentHistory",
            200,
            (404,),
        ),
    ),
)

DATA_QUALITY_API = Function(
    name="data_quality_api",
    description="Data quality: duplicate pairs, merges with survivorship rules and undo, CSV imports.",
    table_access="read_write",
    tag="data quality",
    timeout_s=29,  # a merge moves every item of the merged customers: API Gateway's own limit
    routes=(
        Route("GET", "/v1/duplicates", ALL_STAFF, "Likely duplicate customers, most likely first", "listDuplicates"),
        Route(
            "POST",
            "/v1/duplicates/{pair_id}/dismiss",
            WRITERS,  # as merging: the other answer to the same question
            "Dismiss a listed pair: the two customers are remembered as distinct and never listed again",
            "dismissDuplicate",
            200,
            (404, 409),
        ),
        Route(
            "POST",
            f"{ENTRY}/merge",
            WRITERS,
            "Merge other customers into this one",
            "mergeCustomers",
            200,
            (404, 409),
        ),
        Route(
            "POST",
            f"{ENTRY}/split",
            frozenset({Role.ADMIN}),
            "Split a wrongly merged customer: move chosen entries, subscriptions, consents and contacts to another",
            "splitCustomer",
            200,
            (404, 409),
        ),
        Route("GET", "/v1/merges/{merge_id}", ALL_STAFF, "A merge, as kept in the merge log", "getMerge", 200, (404,)),
        Route(
            "POST",
            "/v1/merges/{merge_id}/undo",
            WRITERS,
            "Undo a merge: the merged customers get their things back, the survivor keeps what was written since",
            "undoMerge",
            200,
            (404, 409),
        ),
        Route(
            "POST",
            "/v1/imports",
            WRITERS,
            "Import customers from CSV rows (a file in chunks)",
            "importCustomers",
            200,
            (409,),
            tag="imports",
        ),
        Route(
            "POST",
            "/v1/imports/uploads",
            WRITERS,
            "Start an import of a whole CSV file: returns a short-lived URL to PUT the file to",
            "createImportUpload",
            201,
            tag="imports",
        ),
        Route(
            "GET",
            "/v1/imports/{import_id}",
            WRITERS,  # its report names the rows' customers and problems: whoever may import
            "An uploaded import: its progress, counts and a page of its report",
            "getImport",
            200,
            (404,),
            tag="imports",
        ),
    ),
    uploads="sign",
)

SUBSCRIPTIONS_API = Function(
    name="subscriptions_api",
    description="Subscriptions: start, change and renew them; their renewal reminders are scheduled on write.",
    table_access="read_write",
    tag="subscriptions",
    routes=(
        Route(
            "POST",
            f"{ENTRY}/subscriptions",
            WRITERS,
            "Start a subscription",
            "createSubscription",
            201,
            (404, 409),
            ETAG,
        ),
        Route(
            "GET", f"{ENTRY}/subscriptions", ALL_STAFF, "The customer's subscriptions", "listSubscriptions", 200, (404,)
        ),
        Route(
            "GET",
            f"{ENTRY}/subscriptions/{{subscription_id}}",
            ALL_STAFF,
            "Read a subscription",
            "getSubscription",
            200,
            (404,),
            ETAG,
        ),
        Route(
            "PATCH",
            f"{ENTRY}/subscriptions/{{subscription_id}}",
            WRITERS,
            "Change a subscription (JSON merge patch): plan, status, price, renewal day",
            "updateSubscription",
            200,
            (404, 409, 412),
            ETAG,
        ),
        Route(
            "POST",
            f"{ENTRY}/subscriptions/{{subscription_id}}/renew",
            WRITERS,
            "Record a renewal: the next renewal day moves one interval on (or to the day given)",
            "renewSubscription",
            200,
            (404, 409, 412),
            ETAG,
        ),
    ),
)

STREAM_PROCESSOR = Function(
    name="stream_processor",
    description="After each committed write: audit entry, domain event, duplicate blocking and pairs.",
    table_access="read_write",
    routes=(),
    memory_mb=256,
    timeout_s=60,
    reads_table_stream=True,
    stream_entities=("customer", "interaction", "merge", "subscription", "access"),
    publishes_events=True,
)

RENEWAL_REMINDERS = Function(
    name="renewal_reminders",
    description="Daily: announce each subscription renewal reminder due today (subscription.renewal_due).",
    table_access="read",
    routes=(),
    memory_mb=256,
    timeout_s=300,
    publishes_events=True,
    schedule=Schedule(job="renewal-reminders", hour=6),
)

CHURN_CHECK = Function(
    name="churn_check",
    description="Daily: assess the customers watched today (quiet spells, changed signals); check-ins.",
    table_access="read_write",  # stores the assessment on the profile and moves the watches
    routes=(),
    memory_mb=512,
    timeout_s=300,
    publishes_events=True,
    schedule=Schedule(job="churn-check", hour=5),
)

RETENTION = Function(
    name="retention",
    description="Daily: erase the archived customers whose retention ended today (cdk.json retention).",
    table_access="read_write",  # erases what the customer's data left everywhere
    deletes_devices=True,
    routes=(),
    memory_mb=512,
    timeout_s=300,
    publishes_events=True,  # its continuation, when a day's erasures outlast one invocation
    schedule=Schedule(job="retention", hour=4),
)

NOTIFIER = Function(
    name="notifier",
    description="Sends due reminders, check-ins and support replies once each, by a consented channel, by day.",
    table_access="read_write",
    routes=(),
    link_key="sign",  # the unsubscribe link in each marketing email and reminder
    memory_mb=256,
    timeout_s=60,
    queue=EventQueue(detail_types=("subscription.renewal_due", "customer.check_in_due", "ticket.replied")),
    sends=("email", "sms", "push"),
)

IMPORT_WORKER = Function(
    name="import_worker",
    description="Uploaded CSV files: cuts each into parts, then imports the parts in parallel, once each.",
    table_access="read_write",
    routes=(),
    memory_mb=1024,  # CPU comes with memory: a part's rows are validated and matched here
    timeout_s=120,
    uploads="read",
    work=WorkQueue(),
)

ME = "/v1/me"


def own(method: str, path: str, summary: str, operation_id: str, status: int = 200, errors=(), headers=()) -> Route:
    """A route of the signed-in customer's own record."""
    return Route(method, path, PUBLIC, summary, operation_id, status, errors, headers, customer=True)


ME_API = Function(
    name="me_api",
    description="Customers' own API (customer pool tokens): their profile, orders, preferences, data.",
    table_access="read_write",
    tag="me",
    registers_devices=True,
    sends=("email", "sms"),  # codes to contacts being added
    routes=(
        own("GET", ME, "Your profile, with your consents and subscriptions", "getMe", 200, (), ETAG),
        own(
            "PATCH",
            ME,
            "Change your names, addresses, language, time zone or preferred channel",
            "updateMe",
            200,
            (409, 412),
            ETAG,
        ),
        own(
            "POST",
            f"{ME}/contacts",
            "Add an email address or phone number: we send it a code first",
            "addMyContact",
            202,
            (409,),
        ),
        own(
            "POST",
            f"{ME}/contacts/verify",
            "Send back the code: the contact becomes your primary one",
            "verifyMyContact",
            200,
            (409,),
            ETAG,
        ),
        own("GET", f"{ME}/orders", "Your orders, newest first", "listMyOrders"),
        own("GET", f"{ME}/orders/{{order_id}}", "One of your orders", "getMyOrder", 200, (404,)),
        own("POST", f"{ME}/tickets", "Ask support something: a ticket", "openMyTicket", 201),
        own("GET", f"{ME}/tickets", "Your support tickets, newest first", "listMyTickets"),
        own("GET", f"{ME}/tickets/{{ticket_id}}", "One of your tickets, with its messages", "getMyTicket", 200, (404,)),
        own(
            "POST",
            f"{ME}/tickets/{{ticket_id}}/messages",
            "Write on one of your tickets",
            "postMyTicketMessage",
            201,
            (404, 409),
        ),
        own(
            "POST",
            f"{ME}/devices",
            "Register this app install for push notifications (its push token)",
            "registerMyDevice",
            201,
            (409,),
        ),
        own(
            "DELETE",
            f"{ME}/devices/{{device_id}}",
            "Stop push notifications to an install (sign-out)",
            "removeMyDevice",
            204,
            (404,),
        ),
        own("POST", f"{ME}/feedback", "Rate us, or tell us how likely you are to recommend us", "giveFeedback", 201),
        own(
            "GET",
            f"{ME}/preferences",
            "What we may contact you about, by channel and purpose, and why",
            "getMyPreferences",
        ),
        own(
            "PUT",
            f"{ME}/consents/{{channel}}/{{purpose}}",
            "Grant or withdraw one channel and purpose",
            "setMyConsent",
            200,
            (409,),
        ),
        own("GET", f"{ME}/subscriptions", "Your subscriptions with their renewal dates", "listMySubscriptions"),
        own(
            "PATCH",
            f"{ME}/subscriptions/{{subscription_id}}",
            "Cancel a subscription or switch its automatic renewal off or on",
            "updateMySubscription",
            200,
            (404, 409, 412),
            ETAG,
        ),
        own("GET", f"{ME}/export", "Everything held about you, as one JSON document (GDPR art. 15 and 20)", "exportMe"),
        own(
            "POST",
            f"{ME}/erasure-request",
            "Ask for your personal data to be erased (GDPR art. 17)",
            "requestMyErasure",
            202,
            (409,),
        ),
    ),
)

CUSTOMER_SIGNUP = Function(
    name="customer_signup",
    description="Customer pool triggers: link a confirmed sign-up, or a sign-in not yet linked, to its record.",
    table_access="read_write",
    routes=(),
    memory_mb=256,
    timeout_s=5,  # Cognito waits at most 5 s for a trigger
    # Post authentication too: a sign-up whose confirmation trigger failed is confirmed all the same
    # (Cognito does not run it again), so its next sign-in links it.
    cognito_triggers=("post_confirmation", "post_authentication"),
)

API_DOCS = Function(
    name="api_docs",
    description="The OpenAPI document and Swagger UI. Public: it holds the API's shape, no customer data.",
    table_access="none",
    tag="docs",
    memory_mb=256,
    routes=(
        Route("GET", "/v1/openapi.json", PUBLIC, "The OpenAPI document", "getOpenApiDocument"),
        Route("GET", "/docs", PUBLIC, "Swagger UI", "getSwaggerUi"),
    ),
)

UNSUBSCRIBE = "/v1/unsubscribe"
UNSUBSCRIBE_API = Function(
    name="unsubscribe_api",
    description="One-click unsubscribe (RFC 8058): a signed link in each marketing email or reminder withdraws it.",
    table_access="read_write",  # reads the customer, records the withdrawal in the consent ledger
    tag="unsubscribe",
    memory_mb=256,
    link_key="verify",
    routes=(
        Route(
            "GET",
            UNSUBSCRIBE,
            PUBLIC,
            "The page an unsubscribe link opens: says what it withdraws, with a button; withdraws nothing itself "
            "(403 malformed_link, bad_link_signature or link_expired for a link that is not valid)",
            "getUnsubscribePage",
            200,
            signed=True,
        ),
        Route(
            "POST",
            UNSUBSCRIBE,
            PUBLIC,
            "Withdraw what the link's token names (RFC 8058 one-click: body List-Unsubscribe=One-Click)",
            "unsubscribe",
            200,
            (409,),
            signed=True,
            form=True,
        ),
    ),
)

FUNCTIONS: tuple[Function, ...] = (
    CUSTOMERS_API,
    TIMELINE_API,
    CONSENTS_API,
    DATA_QUALITY_API,
    SUBSCRIPTIONS_API,
    STREAM_PROCESSOR,
    RENEWAL_REMINDERS,
    CHURN_CHECK,
    RETENTION,
    NOTIFIER,
    IMPORT_WORKER,
    ME_API,
    CUSTOMER_SIGNUP,
    API_DOCS,
    UNSUBSCRIBE_API,
)


def stream_filter(function: Function) -> dict | None:
    """The event filter pattern for a stream reader (Lambda's filter syntax; the local pump applies it too)."""
    if not function.stream_entities:
        return None
    return {"dynamodb": {"NewImage": {"entity": {"S": list(function.stream_entities)}}}}


def find_route(method: str, path: str) -> Route | None:
    """The declared route for an API Gateway resource path and method, if any."""
    # Read at call time, not import time: a route added to FUNCTIONS is found at once.
    for function in FUNCTIONS:
        for route in function.routes:
            if route.method == method and route.path == path:
                return route
    return None


def operation(operation_id: str) -> tuple[Function, Route]:
    """The declared route with this operation id, and the function that serves it."""
    for function in FUNCTIONS:
        for route in function.routes:
            if route.operation_id == operation_id:
                return function, route
    raise KeyError(f"no route declares operation id {operation_id!r} in cis.topology")


def job_function(job: str) -> Function | None:
    """The function a scheduled job runs in, by the job's name."""
    return next((function for function in FUNCTIONS if function.schedule and function.schedule.job == job), None)
