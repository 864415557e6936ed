"""Cold start as Lambda pays it: each function's init (import and module-level construction) and its
first request, in CPU time, against two floors measured in the same run: a bare `import boto3`, and
a minimal Powertools handler (bench/coldstart_floor: Logger, Metrics, Tracer, a validating resolver,
one DynamoDB client, one GET route making one GetItem).

    .venv/bin/python bench/coldstart.py                                   # every function, 11 rounds
    .venv/bin/python bench/coldstart.py --runs 9 --functions customers_api api_docs

Goal (issue 16): every function's init + first request at most 1.25x the framework floor's; api_docs,
which needs no cis, pydantic or boto3, at most 1x a bare `import boto3`.

Each sample is a fresh process (bench/coldstart_child.py, `python -S`) set up as Lambda's:
- sys.path: the function's folder (LAMBDA_TASK_ROOT), the cis layer (layers/cis/python), then the
  dependencies, then the standard library. The dependencies are this venv's site-packages, not the
  deps layer: `make layer` builds that for arm64 and Python 3.13, which cannot run here. So the
  interpreter is this one (see "python" in the results), not Lambda's 3.13.
- Lambda's environment: AWS_LAMBDA_FUNCTION_NAME, AWS_EXECUTION_ENV, the stack's POWERTOOLS_* (log
  level INFO), credentials in the environment, and tracing on (no POWERTOOLS_TRACE_DISABLED; the
  first request carries an _X_AMZN_TRACE_ID, sampled, and X-Ray's segments go out over UDP as in Lambda).
- Only what Lambda's runtime client has loaded before it imports a handler is loaded when the clock starts.
- Bytecode present: every target runs once before the samples, so each module's .pyc exists, as in
  a restored SnapStart snapshot or an asset shipped compiled. The "init no pyc" figure is init with
  nothing compiled but what Lambda's runtime itself ships compiled (the standard library and its
  boto3, botocore, s3transfer): PYTHONDONTWRITEBYTECODE=1 and PYTHONPYCACHEPREFIX set to a fresh
  directory holding only those modules' bytecode, so the layers and the function compile from source
  at every start: what a cold start costs when the deploy ships no bytecode.

The first request is a realistic first event (API functions: their most common GET, through the
local gateway's event builder, with a valid dev token's claims; the jobs, the stream processor and the
notifier: the event their source sends, holding one record). The AWS services are moto's server
(cis_local's, as `cis run` serves it) in a process of its own, reset and filled before each sample:
moto in the measured process would put moto's own handling of each request on the function's CPU
time, and its import would load modules (idna, for one) that the handler's first request would
otherwise pay for. Over loopback HTTP, as Lambda talks to DynamoDB over HTTPS (no TLS here). The items
come from a scenario built once per run through the API handlers themselves (a customer with consent,
subscription and an order, a likely duplicate, a new customer the stream has not handled yet).

CPU time (time.process_time) in the child. The same code's ratio moved by 0.3 of the floor between
runs when it was a ratio of medians taken minutes apart, so the goal's ratio is paired: each round,
every target runs once (in an order shuffled for each round) right beside a sample of the floor its
goal names (the framework floor; import boto3 for api_docs and the framework floor itself), which of
the two goes first alternating between rounds; a busy spell on the shared machine slows both of a pair
alike. That ratio is the median of the `runs` rounds' ratios, printed with their quartiles; every
other figure is a median of samples (the floors': of every sample taken beside a target).

Where valgrind is installed, each target also runs once under cachegrind (no cache simulation, hash
seed fixed): the instructions of init + first request (less those of a process that imports nothing),
and their ratio to the goal's floor's. Unlike CPU time, a count hardly moves between runs, though it
weighs every instruction alike (a cache miss, a system call, the allocator's page faults are not in
it): printed beside the CPU figures, the verdict is on CPU time.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
CHILD = BENCH / "coldstart_child.py"
FLOOR_DIR = BENCH / "coldstart_floor"
CIS_LAYER = ROOT / "layers" / "cis" / "python"
LOCAL = ROOT / "local"
FUNCTIONS_DIR = ROOT / "functions"
SITE_PACKAGES = sysconfig.get_paths()["purelib"]  # the deps layer and the runtime's SDK (see the docstring)

RUNS = 11  # rounds: CPU time on a shared machine varies by a third from one sample to the next
GOAL = {"framework_ratio": 1.25, "api_docs_boto3_ratio": 1.0}
BOTO3, FRAMEWORK = "boto3", "framework"
TABLE = BUS = UPLOADS = "cis-coldstart"
# The import worker's first message: a part of an uploaded file, one row long.
UPLOADED_KEY = "uploads/01JCOLDSTART0000000000000A.csv"
UPLOADED = b"given_name,family_name,email\nLin,Huang,lin.huang@example.com\n"
SENDER = "reminders@cis.local"
REGION = "eu-west-1"
# The KMS HMAC key of unsubscribe links, by alias. Each sample's reset makes a new one (moto's material is
# random), so the scenario's link is signed after the reset, by that key (UNSIGNED stands for its MAC).
LINK_KEY = "alias/cis-coldstart-unsubscribe"
UNSIGNED = "UNSIGNED"
PUBLIC_API_URL = "https://api.coldstart.example/prod"
# Lambda's Python runtime ships these (compiled); the deps layer ships every other dependency.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer")
# The X-Ray header Lambda sets for an invocation that active tracing sampled.
TRACE_ID = "Root=1-6650a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"


def lambda_environment(name: str, memory_mb: int) -> dict[str, str]:
    """What Lambda puts in a function's environment, and what the stack adds (infra/cis_infra/functions.py)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(FLOOR_DIR if name in (BOTO3, FRAMEWORK) else FUNCTIONS_DIR / name),
        "LAMBDA_RUNTIME_DIR": SITE_PACKAGES,
        "_HANDLER": "handler.handler",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_FUNCTION_NAME": f"cis-{name}",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/cis-{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]coldstart",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "coldstart",
        "AWS_SECRET_ACCESS_KEY": "coldstart",
        "AWS_SESSION_TOKEN": "coldstart",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "POWERTOOLS_SERVICE_NAME": "cis",
        "POWERTOOLS_METRICS_NAMESPACE": "CIS",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "TABLE_NAME": TABLE,
        "EVENT_BUS_NAME": BUS,
        "UPLOAD_BUCKET": UPLOADS,
        "IMPORT_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/000000000000/cis-coldstart-imports",
        # The stack gives these to the notifier and unsubscribe_api only; the others never read them.
        "CIS_UNSUBSCRIBE_KEY_ID": LINK_KEY,
        "CIS_PUBLIC_API_URL": PUBLIC_API_URL,
    }


def create_link_key(kms) -> None:
    key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=LINK_KEY, TargetKeyId=key)


def signed_link(event: dict, kms) -> dict:
    """The event with its unsubscribe link's token signed by the link key in moto now."""
    from cis.repository.unsubscribe import LinkKey

    token = (event.get("queryStringParameters") or {}).get("token", "")
    if not token.endswith(f".{UNSIGNED}"):
        return event
    payload = token.removesuffix(f".{UNSIGNED}")
    mac = base64.urlsafe_b64encode(LinkKey(kms, LINK_KEY).sign(payload.encode())).rstrip(b"=").decode()
    return json.loads(json.dumps(event).replace(token, f"{payload}.{mac}"))


# -- the scenario: the table's items and each target's first event -------------------------------


def _scenario() -> dict:
    """Built in a separate process (moto in-process there, the handlers loaded there), once per run."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))},
        "PYTHONPATH": os.pathsep.join(map(str, (CIS_LAYER, LOCAL, BENCH))),
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "coldstart",
        "AWS_SECRET_ACCESS_KEY": "coldstart",
        "TABLE_NAME": TABLE,
        "EVENT_BUS_NAME": BUS,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "CIS_DEV_TOKEN_SECRET": secrets.token_hex(16),
    }
    with tempfile.TemporaryDirectory(prefix="cis-coldstart-") as temp:
        out = Path(temp) / "scenario.json"
        done = subprocess.run(
            [sys.executable, __file__, "--scenario", str(out)], env=env, cwd=ROOT, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"building the cold-start scenario failed:\n{done.stderr[-4000:]}")
        return json.loads(out.read_text(encoding="utf-8"))


def _daytime_zone(now: datetime) -> str:
    """The zone furthest from its quiet hours (21:00 to 08:00) now: the notifier sends, not defers."""
    from zoneinfo import ZoneInfo

    zones = ("Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Kolkata", "Asia/Shanghai")
    zones += ("Pacific/Auckland", "America/Sao_Paulo")

    def margin(zone: str) -> float:
        local = now.astimezone(ZoneInfo(zone))
        hour = local.hour + local.minute / 60
        return min(hour - 8, 21 - hour)

    return max(zones, key=margin)


def build_scenario() -> dict:
    import boto3
    from cis.domain.changes import ItemChange
    from cis.domain.import_files import cut
    from cis.domain.unsubscribe import PATH, Link
    from cis.repository.churn import rescore_item
    from cis.repository.factory import (
        audit_repository,
        churn_repository,
        customer_repository,
        due_reminders,
        duplicate_repository,
        event_bus,
        import_file_repository,
    )
    from cis.repository.items import from_attributes
    from cis.repository.logins import LoginRepository
    from cis.repository.uploads import WorkQueue
    from cis.service.changes import ChangeFeed
    from cis.service.customers import utcnow
    from cis.service.duplicates import DuplicateFinder
    from cis.service.import_files import part_message
    from cis.service.reminders import RenewalReminderJob
    from cis.topology import FUNCTIONS, NOTIFIER, Role, Route
    from cis_local import tokens
    from cis_local.functions import load_handler
    from cis_local.gateway import Binding, Gateway, LambdaContext, _pattern
    from cis_local.queues import create_event_queue, sqs_event
    from cis_local.table import ensure_table
    from moto import mock_aws

    now = datetime.now(UTC)
    today = now.date()
    with mock_aws():
        dynamodb, events, sqs = boto3.client("dynamodb"), boto3.client("events"), boto3.client("sqs")
        ensure_table(dynamodb, TABLE)
        events.create_event_bus(Name=BUS)
        queue_url, _ = create_event_queue(events, sqs, BUS, NOTIFIER)
        boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER)
        gateway = Gateway()
        claims = tokens.verify(tokens.mint([Role.ADMIN]))
        reader = tokens.verify(tokens.mint([Role.SUPPORT]))
        modules = {f.name: load_handler(f) for f in FUNCTIONS if f.routes and f.table_access != "none"}

        def event(method: str, url: str, body: dict | None = None, caller: dict | None = claims) -> tuple[dict, Any]:
            """The event API Gateway hands the function the topology routes to (the local gateway's)."""
            binding, params = gateway.match(method, url.split("?")[0])
            raw = json.dumps(body).encode() if body is not None else b""
            headers = {"Accept": ["application/json"], "User-Agent": ["Mozilla/5.0"]}
            headers |= {"Content-Type": ["application/json"]} if body is not None else {}
            return gateway.event(binding, method, url, headers, raw, params, caller), binding

        def call(method: str, url: str, body: dict | None = None) -> dict:
            built, binding = event(method, url, body)
            response = modules[binding.function.name].handler(built, LambdaContext(binding.function))
            assert response["statusCode"] < 300, response
            return json.loads(response["body"]) if response.get("body") else {}

        ada = {"given_name": "Ada", "family_name": "Lovelace", "time_zone": _daytime_zone(now)}
        contact = {"emails": [{"address": "ada.lovelace@gmail.com"}], "phones": [{"number": "+14155550100"}]}
        ada = call("POST", "/v1/customers", ada | contact)
        path = f"/v1/customers/{ada['id']}"
        # The same mailbox under another name: a pair worth a review (listed), not a likely duplicate (409).
        call(
            "POST",
            "/v1/customers",
            {"given_name": "Ada", "family_name": "King", "emails": [{"address": "adalovelace+news@gmail.com"}]},
        )
        call("PUT", f"{path}/consents/email/reminders", {"status": "granted", "source": "web-signup"})
        renews = (today + timedelta(days=7)).isoformat()  # its 7-day reminder is due today
        call("POST", f"{path}/subscriptions", {"plan": "gym", "renews_at": renews, "price": "9.90", "currency": "EUR"})
        order = {"type": "order", "external_order_id": "A-1001", "amount": "49.90", "currency": "EUR"}
        call("POST", f"{path}/interactions", order)

        def scan() -> list[dict]:
            pages = dynamodb.get_paginator("scan").paginate(TableName=TABLE)
            return [item for page in pages for item in page["Items"]]

        # What the stream processor did for the customers so far: audit entries, duplicate pairs, watches.
        feed = ChangeFeed(
            audit_repository(dynamodb),
            event_bus(),
            customer_repository(dynamodb),
            DuplicateFinder(duplicate_repository(dynamodb), utcnow),
            churn_repository(dynamodb),
        )
        for item in scan():
            image = from_attributes(item)
            if image.get("entity") == "customer":
                feed.handle(ItemChange(f"scenario-{image['id']}", None, image))
        # Ada signed in to the customer app: her sign-in linked to her record, as the sign-up trigger links it.
        LoginRepository(dynamodb, TABLE).link("coldstart-ada", ada["id"], "verified_email", now)
        customer = tokens.verify(tokens.mint_customer("coldstart-ada"))
        # A customer of the business confirming their sign-up to the app, with the email on their record:
        # the customer pool's post-confirmation trigger links it (a sign-up the base holds no record of
        # also creates one: a create's cost, measured by the API functions' creates, not here).
        signup = {
            "version": "1",
            "region": REGION,
            "userPoolId": f"{REGION}_coldstart",
            "userName": "coldstart-new",
            "callerContext": {"awsSdkVersion": "aws-sdk-js-3", "clientId": "coldstart"},
            "triggerSource": "PostConfirmation_ConfirmSignUp",
            "request": {
                "userAttributes": {"sub": "coldstart-new", "email": "ada.lovelace@gmail.com", "email_verified": "true"}
            },
            "response": {},
        }
        # A customer created since: the stream processor's first batch is its insert.
        created = call("POST", "/v1/customers", {"given_name": "Grace", "emails": [{"address": "grace@example.com"}]})
        items = [*scan(), rescore_item(ada["id"], today)]  # a churn signal changed yesterday: rescored today
        (new_image,) = (
            i for i in items if from_attributes(i).get("entity") == "customer" and i["id"]["S"] == created["id"]
        )
        stream = {"Records": [_stream_record(new_image)]}

        # The reminder due today, through the bus rule onto the notifier's queue: its first batch.
        RenewalReminderJob(due_reminders(dynamodb), event_bus()).run(today, None, lambda: True)
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, AttributeNames=["All"])
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        notification = sqs_event(received["Messages"], queue_arn, REGION)

        # The framework floor's one route and item (bench/coldstart_floor), through the same event builder.
        thing = Route("GET", "/things/{thing_id}", frozenset({Role.SUPPORT}), "A thing", "getThing")
        headers = {"Accept": ["application/json"], "User-Agent": ["Mozilla/5.0"]}
        floor = Binding(None, thing, _pattern(thing.path))  # type: ignore[arg-type]  (no function of ours)
        floor_event = gateway.event(floor, "GET", "/things/t-1", headers, b"", {"thing_id": "t-1"}, reader)
        items.append({"PK": {"S": "THING#t-1"}, "SK": {"S": "THING"}, "name": {"S": "the floor's thing"}})

        # The import worker's: a part of a file uploaded for an import (the import's item is in the table).
        import_id = UPLOADED_KEY.removeprefix("uploads/").removesuffix(".csv")
        import_file_repository(dynamodb).create(
            {"import_id": import_id, "status": "importing", "mapping": {}, "on_duplicate": "skip"}
            | {"created_at": now.isoformat(), "created_by": "staff:coldstart", "parts_total": 1}
        )
        items += [i for i in scan() if i["PK"]["S"] == f"UPLOAD#{import_id}"]
        # As the worker's split sends it (its text in the message): what most of its messages are.
        pieces = cut([UPLOADED], {})
        common = {"kind": "part", "import_id": import_id, "key": UPLOADED_KEY, "etag": _etag(UPLOADED)}
        common |= {"header": pieces.header, "source_id": "coldstart-file", "mapping": {}, "on_duplicate": "skip"}
        part = part_message(common | {"actor": "staff:coldstart"}, pieces.parts[0], WorkQueue.fits)
        imports = _sqs_message(json.dumps(part), f"arn:aws:sqs:{REGION}:000000000000:cis-coldstart-imports")

        # A person opening the unsubscribe link of Ada's reminder: the page (a GET withdraws nothing).
        link = Link.to(ada["id"], "email", "reminders", "ada.lovelace@gmail.com", now)
        unsubscribe = f"{PATH}?token={link.payload}.{UNSIGNED}"

        # As the scheduler sends it (infra/cis_infra/jobs.py): the schedule's time, 05:00 or 06:00 today.
        scheduled = {"scheduled_time": now.strftime("%Y-%m-%dT05:00:00Z")}
        first_events = {
            FRAMEWORK: floor_event,
            "customers_api": event("GET", path, caller=reader)[0],
            "consents_api": event("GET", f"{path}/consents", caller=reader)[0],
            "subscriptions_api": event("GET", f"{path}/subscriptions", caller=reader)[0],
            "timeline_api": event("GET", f"{path}/timeline", caller=reader)[0],
            "data_quality_api": event("GET", "/v1/duplicates", caller=reader)[0],
            "api_docs": event("GET", "/docs", caller=None)[0],
            "unsubscribe_api": event("GET", unsubscribe, caller=None)[0],
            "me_api": event("GET", "/v1/me", caller=customer)[0],
            "customer_signup": signup,
            "stream_processor": stream,
            "notifier": notification,
            "import_worker": imports,
            "renewal_reminders": {"job": "renewal-reminders"} | scheduled,
            "churn_check": {"job": "churn-check"} | scheduled,
            "retention": {"job": "retention"} | scheduled,
        }
    return {"items": items, "events": first_events}


def _etag(body: bytes) -> str:
    """S3's ETag of an object PUT whole: its MD5, quoted (what moto's reset upload will answer)."""
    import hashlib

    return f'"{hashlib.md5(body).hexdigest()}"'  # S3's own choice of digest, not a security use


def _sqs_message(body: str, queue_arn: str) -> dict:
    """An SQS batch of one message, first received, as Lambda's event source mapping delivers it."""
    from cis_local.queues import sqs_event

    message = {"MessageId": secrets.token_hex(8), "ReceiptHandle": secrets.token_hex(16), "Body": body}
    message["Attributes"] = {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(datetime.now(UTC).timestamp()))}
    return sqs_event([message], queue_arn, REGION)


def _stream_record(image: dict) -> dict:
    """A DynamoDB stream record of an insert, as Lambda's event source mapping delivers it."""
    return {
        "eventID": secrets.token_hex(16),
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": {
            "ApproximateCreationDateTime": int(datetime.now(UTC).timestamp()),
            "Keys": {"PK": image["PK"], "SK": image["SK"]},
            "NewImage": image,
            "SequenceNumber": "100000000000000000001",
            "SizeBytes": len(json.dumps(image)),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": f"arn:aws:dynamodb:{REGION}:000000000000:table/{TABLE}/stream/2026-01-01T00:00:00.000",
    }


# -- samples --------------------------------------------------------------------------------------


def _runtime_bytecode(prefix: Path) -> Path:
    """A pycache prefix holding the bytecode Lambda's runtime ships: the standard library's and its SDK's."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    roots = [stdlib, *(Path(SITE_PACKAGES) / name for name in RUNTIME_SDK)]
    tag = sys.implementation.cache_tag
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not (root == stdlib and d in ("site-packages", "test", "idlelib"))]
            if Path(folder).name != "__pycache__":
                continue
            source_dir = Path(folder).parent
            target = prefix / source_dir.relative_to("/")
            for name in files:
                if name.endswith(f".{tag}.pyc"):  # not the optimized (.opt-1, .opt-2) ones
                    target.mkdir(parents=True, exist_ok=True)
                    (target / name).symlink_to(Path(folder) / name)
    return prefix


class MotoServer:
    """cis_local's moto server (as `cis run` serves it) in a process of its own, and what each sample
    starts from: the scenario's items in the table, the bus and the sender's identity."""

    def __init__(self, items: list[dict]):
        from cis_local.runtime import free_port

        self.items = items
        self.endpoint = f"http://127.0.0.1:{free_port()}"
        env = os.environ | {"PYTHONPATH": os.pathsep.join(map(str, (CIS_LAYER, LOCAL)))}
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--moto-server", self.endpoint.rsplit(":", 1)[1]],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.process.stdout.readline().strip() != "ready":
            self.process.kill()
            raise RuntimeError("the moto server for the cold-start samples did not start")
        import boto3

        session = boto3.session.Session(
            aws_access_key_id="coldstart", aws_secret_access_key="coldstart", region_name=REGION
        )
        self.dynamodb, self.events, self.sesv2, self.kms = (
            session.client(service, endpoint_url=self.endpoint) for service in ("dynamodb", "events", "sesv2", "kms")
        )
        from botocore.config import Config

        path_style = Config(s3={"addressing_style": "path"})
        self.s3 = session.client("s3", endpoint_url=self.endpoint, config=path_style)

    def reset(self) -> None:
        """A fresh state: the first request of one sample must not find what another's wrote."""
        from urllib.request import urlopen

        from cis_local.table import ensure_table

        urlopen(f"{self.endpoint}/moto-api/reset", data=b"", timeout=30).read()
        ensure_table(self.dynamodb, TABLE)
        for start in range(0, len(self.items), 25):
            chunk = [{"PutRequest": {"Item": item}} for item in self.items[start : start + 25]]
            self.dynamodb.batch_write_item(RequestItems={TABLE: chunk})
        self.events.create_event_bus(Name=BUS)
        self.sesv2.create_email_identity(EmailIdentity=SENDER)
        create_link_key(self.kms)
        self.s3.create_bucket(Bucket=UPLOADS, CreateBucketConfiguration={"LocationConstraint": REGION})
        self.s3.put_object(Bucket=UPLOADS, Key=UPLOADED_KEY, Body=UPLOADED)

    def stop(self) -> None:
        self.process.stdin.close()  # it stops when its stdin closes
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def serve_moto(port: int) -> None:
    """The server's own process: until the bench closes its stdin."""
    from cis_local.runtime import AtomicMotoServer

    server = AtomicMotoServer("127.0.0.1", port)
    server.start()
    print("ready", flush=True)
    sys.stdin.read()
    server.stop()


def _sample(spec: dict, env: dict[str, str], folder: Path, moto: MotoServer | None) -> dict:
    if moto is not None and spec.get("event") is not None:
        moto.reset()
        spec = spec | {"event": signed_link(spec["event"], moto.kms)}
    out = folder / "out.json"
    out.unlink(missing_ok=True)
    path = folder / "spec.json"
    path.write_text(json.dumps(spec | {"out": str(out)}), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-S", str(CHILD), str(path)], env=env, cwd=folder, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"the cold-start sample {env['AWS_LAMBDA_FUNCTION_NAME']} failed:\n{done.stderr[-4000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


def _targets(names: list[str], scenario: dict, endpoint: str) -> dict[str, tuple[dict, dict[str, str]]]:
    """Each target's spec (import path, first event and context) and environment."""
    from cis.topology import FUNCTIONS

    memory = {function.name: function.memory_mb for function in FUNCTIONS}
    timeout = {function.name: function.timeout_s for function in FUNCTIONS}
    targets = {}
    for name in (BOTO3, FRAMEWORK, *names):
        task_root = FLOOR_DIR if name in (BOTO3, FRAMEWORK) else FUNCTIONS_DIR / name
        spec: dict = {"path": [str(task_root), str(CIS_LAYER), SITE_PACKAGES]}
        if name == BOTO3:
            spec["statement"] = "import boto3"
        else:
            spec["event"] = scenario["events"][name]
            spec["trace_id"] = TRACE_ID
            spec["context"] = {
                "function_name": f"cis-{name}",
                "function_version": "$LATEST",
                "invoked_function_arn": f"arn:aws:lambda:{REGION}:000000000000:function:cis-{name}",
                "memory_limit_in_mb": memory.get(name, 512),
                "aws_request_id": "c0ffee00-0000-4000-8000-000000000001",
                "log_group_name": f"/aws/lambda/cis-{name}",
                "log_stream_name": "2026/01/01/[$LATEST]coldstart",
                "timeout_s": timeout.get(name, 10),
            }
        env = lambda_environment(name, memory.get(name, 512)) | {"AWS_ENDPOINT_URL": endpoint}
        targets[name] = (spec, env)
    return targets


def partner(name: str) -> str | None:
    """The floor a target is measured beside, each round: the one its goal holds it to."""
    if name == BOTO3:
        return None
    return BOTO3 if name in (FRAMEWORK, "api_docs") else FRAMEWORK


def measure(
    runs: int = RUNS, functions: list[str] | None = None, no_bytecode: bool = True, counts: bool = True
) -> dict:
    """Per target, `runs` rounds of cold starts beside its floor's, in CPU ms (see the docstring)."""
    from cis.topology import FUNCTIONS

    names = list(functions) if functions else [function.name for function in FUNCTIONS]
    scenario = _scenario()
    uncompiled: dict[str, list[float]] = {}
    instructions: dict[str, float] = {}
    moto = MotoServer(scenario["items"])
    try:
        targets = _targets(names, scenario, moto.endpoint)
        samples: dict[str, list[dict]] = {name: [] for name in targets}  # the floors, then the topology's
        ratios: dict[str, list[float]] = {name: [] for name in targets if partner(name)}
        with tempfile.TemporaryDirectory(prefix="cis-coldstart-") as temp:
            folder = Path(temp)
            for spec, env in targets.values():  # compiles what each imports, its first request's modules too
                _sample(spec, env, folder, moto)
            for number, name, floor in _rounds(targets, runs):  # each target beside its floor
                pair = {}
                for taken in (floor, name) if number % 2 else (name, floor):  # which goes first alternates
                    pair[taken] = _sample(*targets[taken], folder, moto)
                    samples[taken].append(pair[taken])
                ratios[name].append(_total(pair[name]) / _total(pair[floor]))
            if no_bytecode:
                prefix = _runtime_bytecode(folder / "pycache")
                plain = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(prefix)}
                uncompiled = {name: [] for name in targets}
                for number in range(runs):
                    for name in _shuffled(targets, number):
                        spec, env = targets[name]
                        init_only = {key: value for key, value in spec.items() if key != "event"}
                        uncompiled[name].append(_sample(init_only, env | plain, folder, None)["init_ms"])
            if counts and shutil.which("valgrind"):
                instructions = _instructions(targets, folder, moto)
    finally:
        moto.stop()
    return _figures(runs, samples, ratios, uncompiled, instructions)


def _total(sample: dict) -> float:
    return sample["init_ms"] + sample.get("first_request_ms", 0.0)


def _shuffled(targets: dict, number: int) -> list[str]:
    names = list(targets)
    random.Random(number).shuffle(names)
    return names


def _rounds(targets: dict, runs: int) -> list[tuple[int, str, str]]:
    """(round, target, its floor): every target once a round, in an order shuffled for each round (the
    same each run of the bench), each right beside a sample of its floor: a busy spell on a shared
    machine slows both of a pair alike, and its ratio with them."""
    return [
        (number, name, partner(name)) for number in range(runs) for name in _shuffled(targets, number) if partner(name)
    ]


_IREFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def _instructions(targets: dict, folder: Path, moto: MotoServer) -> dict[str, float]:
    """Millions of instructions (valgrind's cachegrind, no cache simulation) each target's init and
    first request execute: one sample each, as the count barely moves from one to the next (hash seed
    fixed: three runs of the notifier differed by 2 in a million), less a process that imports nothing,
    so that only init and the first request are counted."""
    counts = {}
    bare = next(iter(targets.values()))  # the boto3 floor's: its path and environment, "pass" for a statement
    for name, (spec, env) in {"": ({**bare[0], "statement": "pass"}, bare[1]), **targets}.items():
        if spec.get("event") is not None:
            moto.reset()
            spec = spec | {"event": signed_link(spec["event"], moto.kms)}  # the reset made a new link key
        out = folder / "out.json"
        path = folder / "spec.json"
        path.write_text(json.dumps(spec | {"out": str(out)}), encoding="utf-8")
        valgrind = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
        done = subprocess.run(
            [*valgrind, sys.executable, "-S", str(CHILD), str(path)],
            env=env | {"PYTHONHASHSEED": "0"},
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=600,
        )
        found = _IREFS.search(done.stderr)
        if done.returncode != 0 or not found:
            raise RuntimeError(f"counting {name or 'a bare process'}'s instructions failed:\n{done.stderr[-4000:]}")
        counts[name] = int(found.group(1).replace(",", ""))
    return {name: round((count - counts[""]) / 1e6, 1) for name, count in counts.items() if name} | {
        "bare_process": round(counts[""] / 1e6, 1)
    }


def _figures(
    runs: int,
    samples: dict[str, list[dict]],
    ratios: dict[str, list[float]],
    uncompiled: dict[str, list[float]],
    instructions: dict[str, float] | None = None,
) -> dict:
    def median(values) -> float:
        return round(statistics.median(values), 1)

    def figures(name: str) -> dict:
        taken = samples[name]
        totals = [_total(sample) for sample in taken]
        found = {"init_ms": median(sample["init_ms"] for sample in taken)}
        if name != BOTO3:
            found["first_request_ms"] = median(sample["first_request_ms"] for sample in taken)
        found |= {
            "total_ms": median(totals),
            "total_min_ms": round(min(totals), 1),
            "total_max_ms": round(max(totals), 1),
        }
        if uncompiled:
            found["init_no_bytecode_ms"] = median(uncompiled[name])
        if instructions:
            found["instructions_m"] = instructions[name]
        return found

    def paired(name: str, floor: str, found: dict) -> None:
        """The goal's ratio: the median of the rounds' ratios to the floor measured beside it, and those
        ratios' quartiles; the other floor's ratio is of the medians."""
        key = f"ratio_to_{floor}"
        taken = sorted(ratios[name])
        found[key] = round(statistics.median(taken), 2)
        low, _, high = statistics.quantiles(taken, n=4, method="inclusive") if len(taken) > 1 else taken * 3
        found |= {"ratio_low": round(low, 2), "ratio_high": round(high, 2)}
        if instructions:
            found["instructions_ratio"] = round(instructions[name] / instructions[floor], 2)

    boto3, framework = figures(BOTO3), figures(FRAMEWORK)
    paired(FRAMEWORK, BOTO3, framework)
    functions = {}
    for name in samples:
        if name in (BOTO3, FRAMEWORK):
            continue
        found = figures(name)
        if name == "api_docs":
            found["ratio_to_framework"] = round(found["total_ms"] / framework["total_ms"], 2)
            paired(name, BOTO3, found)
            found["goal"] = f"<= {GOAL['api_docs_boto3_ratio']:.2f}x import boto3"
            met = found["ratio_to_boto3"] <= GOAL["api_docs_boto3_ratio"]
        else:
            paired(name, FRAMEWORK, found)
            found["ratio_to_boto3"] = round(found["total_ms"] / boto3["total_ms"], 2)
            found["goal"] = f"<= {GOAL['framework_ratio']:.2f}x framework floor"
            met = found["ratio_to_framework"] <= GOAL["framework_ratio"]
        found["verdict"] = "ok" if met else "over goal"
        functions[name] = found
    over = [name for name, found in functions.items() if found["verdict"] != "ok"]
    results = {"python": platform.python_version(), "runs": runs, "goal": dict(GOAL)}
    if instructions:
        results["bare_process_instructions_m"] = instructions["bare_process"]
    return results | {
        "floors": {BOTO3: boto3, FRAMEWORK: framework},
        "functions": functions,
        "verdict": "ok" if not over else "over goal: " + ", ".join(over),
    }


def failures(results: dict) -> list[str]:
    """What makes `make bench` fail: a function over its goal."""
    return [
        f"cold start: {name} {found['verdict']} ({found['goal']})"
        for name, found in results["functions"].items()
        if found["verdict"] != "ok"
    ]


def report(results: dict) -> None:
    """Print the figures measure() returned, and nothing else."""
    goal, floors = results["goal"], results["floors"]
    print(
        f"Cold start as Lambda pays it: CPU ms of fresh processes, {results['runs']} rounds, each target beside "
        f"its floor (Python {results['python']}; init: import and module-level construction, bytecode present)"
    )
    print(
        f"  goal: init + first request <= {goal['framework_ratio']} x the framework floor; "
        f"api_docs <= {goal['api_docs_boto3_ratio']} x import boto3"
    )
    columns = ("init", "first", "total", "min", "max", "x frame", "x boto3", "low", "high", "no pyc", "M instr")
    columns += ("x instr",)
    print(f"  {'':<20}" + "".join(f"{name:>8}" for name in columns) + "  verdict")
    keys = (
        "init_ms",
        "first_request_ms",
        "total_ms",
        "total_min_ms",
        "total_max_ms",
        "ratio_to_framework",
        "ratio_to_boto3",
        "ratio_low",
        "ratio_high",
        "init_no_bytecode_ms",
        "instructions_m",
        "instructions_ratio",
    )

    def row(label: str, found: dict, verdict: str = "") -> None:
        cells = "".join(f"{found[key]:>8}" if key in found else f"{'':>8}" for key in keys)
        print(f"  {label:<20}{cells}  {verdict}".rstrip())

    row("import boto3", floors[BOTO3])
    row("framework floor", floors[FRAMEWORK])
    for name, found in results["functions"].items():
        row(name, found, f"{found['verdict']} ({found['goal']})")
    print("  init, first (the first request), total: medians; min, max: of init + first request, the floors'")
    print("  over every sample they were measured beside a target. x frame, x boto3: the goal's floor, the")
    print("  median of the rounds' ratios to its sample beside (low, high: their quartiles); the other, the")
    print("  ratio of medians. no pyc: init when only the standard library and the runtime's boto3 come compiled")
    if "bare_process_instructions_m" in results:
        print("  M instr: millions of instructions of init + first request (valgrind, one sample: the count barely")
        print(f"  moves), less a bare process's {results['bare_process_instructions_m']}; x instr: against the goal's")
        print("  floor. The verdict is on the CPU ratio")
    print(f"  verdict: {results['verdict']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--functions", nargs="+", help="only these (the floors always run)")
    parser.add_argument(
        "--no-bytecode-figures", dest="no_bytecode", action="store_false", help="skip init without .pyc"
    )
    parser.add_argument("--no-instruction-counts", dest="counts", action="store_false", help="skip valgrind's counts")
    parser.add_argument("--json", action="store_true", help="print the results as JSON after the report")
    parser.add_argument("--scenario", type=Path, help=argparse.SUPPRESS)  # the scenario's own process writes it here
    parser.add_argument("--moto-server", type=int, help=argparse.SUPPRESS)  # the moto server's own process
    args = parser.parse_args()
    if args.moto_server:
        serve_moto(args.moto_server)
        return 0
    if args.scenario:
        args.scenario.write_text(json.dumps(build_scenario()), encoding="utf-8")
        return 0
    results = measure(args.runs, args.functions, args.no_bytecode, args.counts)
    report(results)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0 if results["verdict"] == "ok" else 1


if __name__ == "__main__":
    for entry in (CIS_LAYER, LOCAL):
        if str(entry) not in sys.path:
            sys.path.insert(0, str(entry))
    sys.exit(main())
