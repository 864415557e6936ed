"""`cis`: the project's command line: run the API locally, mint dev tokens, import and export customers,
restore the deployed table."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import get_args

from cis.domain.moments import parse_day
from cis.topology import FUNCTIONS, STREAM_PROCESSOR, Role

from cis_local.tokens import SECRET_FILE

# Where a running `cis run` says how to reach its bus, for `cis events` in another terminal.
RUNTIME_FILE = Path(os.environ.get("CIS_RUNTIME_FILE") or SECRET_FILE.parent / "runtime.json")


def _day(text: str) -> str:
    """--date as the job reads it: YYYY-MM-DD, a real day (not a number, not Unix time)."""
    try:
        return parse_day(text).isoformat()
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def _run(args: argparse.Namespace) -> int:
    from cis_local import runtime, tokens
    from cis_local.pauses import settle

    with runtime.backend(args.host) as backend:
        # Handlers read their configuration at import: only now is the environment complete.

        from cis_local.gateway import Gateway

        gateway = Gateway()
        # Listening first: the notifier's unsubscribe links point here, and its containers start with
        # the environment as it is when they are first needed.
        server = gateway.serve(args.host, args.port)
        url = f"http://{args.host}:{server.server_address[1]}"
        os.environ["CIS_PUBLIC_API_URL"] = url
        pump = _stream_pump(backend, gateway)
        gateway.after_invoke.append(pump.nudge)
        pump.start()
        drivers = _queue_drivers(backend, gateway)
        for driver in drivers:
            driver.start()
        loaded = 0 if args.no_demo else _load_demo()
        RUNTIME_FILE.parent.mkdir(exist_ok=True)
        RUNTIME_FILE.write_text(
            json.dumps(
                {
                    "api_url": url,
                    "aws_endpoint": backend.aws_endpoint,
                    "events_queue_url": backend.events_queue_url,
                    "dynamodb_endpoint": backend.dynamodb_endpoint,
                    "table_name": backend.table_name,
                    "queues": backend.queues,
                }
            )
        )
        where = "moto server mode (in memory)" if backend.embedded else backend.dynamodb_endpoint
        print(f"CIS API      {url}/v1/customers", flush=True)
        print(f"Swagger UI   {url}/docs", flush=True)
        print(f"DynamoDB     {where}, table {backend.table_name}; {loaded} demo customers loaded", flush=True)
        print("Tokens (header  Authorization: Bearer <token>), valid 12 hours:", flush=True)
        for role in Role:
            print(f"  {role:<10} {tokens.mint(role)}", flush=True)
        if loaded:  # a demo customer signed up in the customer app, with the email on her record
            from cis_local import sign_ups

            subject = "demo-customer-amelia"
            sign_ups.confirm(subject, email="amelia.hughes@example.co.uk")
            print(f"  {'customer':<10} {tokens.mint_customer(subject)}   (Amelia Hughes: GET {url}/v1/me)", flush=True)
        print(f'Try: curl -H "Authorization: Bearer $(make -s token ROLE=support)" {url}/v1/customers', flush=True)
        print("Events on the bus: .venv/bin/cis events   (in another terminal)", flush=True)
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
        print("Scheduled jobs:    .venv/bin/cis jobs run renewal-reminders --date 2026-12-01", flush=True)
        print(f"                   .venv/bin/cis jobs run churn-check --date {tomorrow}", flush=True)
        print("What was sent:     .venv/bin/cis sent", flush=True)
        print("Ctrl-C stops.", flush=True)
        # Ctrl-C and `kill` both stop cleanly, even when a launcher started us with SIGINT ignored.
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        settle()  # what the runtime built to start: long-lived, left out of full collections
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
            pump.stop()
            for driver in drivers:
                driver.stop()
            gateway.stop()
            RUNTIME_FILE.unlink(missing_ok=True)
    print("stopped", flush=True)
    return 0


def _stream_pump(backend, gateway):
    import boto3

    from cis_local.streams import StreamPump

    region = os.environ["AWS_DEFAULT_REGION"]
    return StreamPump(
        dynamodb=boto3.client("dynamodb", endpoint_url=backend.dynamodb_endpoint),
        streams=boto3.client("dynamodbstreams", endpoint_url=backend.dynamodb_endpoint),
        sqs=boto3.client("sqs", endpoint_url=backend.aws_endpoint),
        table_name=backend.table_name,
        invoke=gateway.pools[STREAM_PROCESSOR.name].invoke,
        dead_letter_url=backend.stream_dead_letter_url,
        region=region,
        entities=STREAM_PROCESSOR.stream_entities,
    )


def _load_demo() -> int:
    from cis.config import settings
    from cis.domain.subscriptions import parse_lead_times
    from cis.repository.factory import (
        consent_repository,
        customer_repository,
        duplicate_repository,
        subscription_repository,
        timeline_repository,
    )
    from cis.service.consents import ConsentService
    from cis.service.customers import CustomerService, utcnow
    from cis.service.duplicates import DuplicateFinder
    from cis.service.subscriptions import SubscriptionService
    from cis.service.timeline import TimelineService

    from cis_local import demo

    lead_times = parse_lead_times(settings.reminder_lead_days)
    return demo.load(
        CustomerService(customer_repository(), DuplicateFinder(duplicate_repository(), utcnow)),  # filed as created
        SubscriptionService(subscription_repository(), lead_times, settings.business_time_zone),
        ConsentService(consent_repository()),
        TimelineService(timeline_repository()),
    )


def _queue_drivers(backend, gateway) -> list:
    """Lambda's SQS event sources: each queue-fed function gets its queue's batches."""
    import boto3
    from cis.topology import FUNCTIONS

    from cis_local.queues import QueueDriver

    sqs = boto3.client("sqs", endpoint_url=backend.aws_endpoint)
    region = os.environ["AWS_DEFAULT_REGION"]
    drivers = [
        QueueDriver(sqs, backend.queues[f.name][0], gateway.pools[f.name].invoke, f.queue.batch_size, region)
        for f in FUNCTIONS
        if f.queue is not None
    ]
    # Work queues get one poller (CIS_LOCAL_WORK_POLLERS for more; Lambda runs up to max_concurrency). Here
    # moto applies one request at a time, so a second worker adds no DynamoDB throughput, only races: two
    # parts of one file share blocks, and each lost race costs the window a fresh read (5,000 rows: 25.7
    # rows/s and 1.42 requests a row with two pollers, ~45 rows/s and 0.41 with one).
    for f in FUNCTIONS:
        if f.work is not None:
            wanted = int(os.environ.get("CIS_LOCAL_WORK_POLLERS") or 1)
            pollers = min(f.work.max_concurrency, wanted, gateway.pools[f.name].size)
            for _ in range(pollers):
                queue_url = backend.work_queues[f.name][0]
                drivers.append(QueueDriver(sqs, queue_url, gateway.pools[f.name].invoke, f.work.batch_size, region))
    return drivers


def _runtime() -> dict | None:
    if not RUNTIME_FILE.exists():
        print("no local runtime is running: start it with `make run`", file=sys.stderr)
        return None
    return json.loads(RUNTIME_FILE.read_text())


def _jobs(args: argparse.Namespace) -> int:
    """Run a scheduled job's real handler here, against the running local runtime, for a chosen day."""
    runtime = _runtime()
    if runtime is None:
        return 1
    from cis_local import jobs

    return jobs.run(runtime, args.job, args.date, wait_s=args.wait)


def _sent(args: argparse.Namespace) -> int:
    """What the local SES and SNS (moto) received: the messages the notifier sent."""
    runtime = _runtime()
    if runtime is None:
        return 1
    from cis_local import jobs

    for message in jobs.sent(runtime["aws_endpoint"]):
        print(json.dumps(message, ensure_ascii=False), flush=True)
    return 0


def _events(args: argparse.Namespace) -> int:
    """Print the domain events the running `cis run` puts on its bus, as JSON lines."""
    import boto3

    if not RUNTIME_FILE.exists():
        print("no local runtime is running: start it with `make run`", file=sys.stderr)
        return 1
    runtime = json.loads(RUNTIME_FILE.read_text())
    sqs = boto3.client(
        "sqs",
        endpoint_url=runtime["aws_endpoint"],
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    try:
        while True:
            messages = sqs.receive_message(
                QueueUrl=runtime["events_queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", [])
            for message in messages:
                event = json.loads(message["Body"])
                print(json.dumps({"event": event["detail-type"], **event["detail"]}), flush=True)
                sqs.delete_message(QueueUrl=runtime["events_queue_url"], ReceiptHandle=message["ReceiptHandle"])
            if args.once and not messages:
                return 0
    except KeyboardInterrupt:
        return 0


def _api(args: argparse.Namespace) -> tuple[str, str]:
    """The API to talk to and a token for it: given, or the running local runtime and a dev token."""
    from cis_local import tokens

    url = args.url or os.environ.get("CIS_API_URL")
    if not url:
        if not RUNTIME_FILE.exists():
            raise SystemExit("no API to talk to: start the local runtime with `make run`, or pass --url and --token")
        url = json.loads(RUNTIME_FILE.read_text())["api_url"]
    return url.rstrip("/"), args.token or os.environ.get("CIS_TOKEN") or tokens.mint([Role.ADMIN])


def _import(args: argparse.Namespace) -> int:
    from cis_local.transfer import import_file

    path = Path(args.file)
    mapping = dict(item.split("=", 1) for item in args.map)
    report = Path(args.report or f"{path}.report.csv")
    url, token = _api(args)
    if args.upload:
        from cis_local.transfer import upload_file

        totals = upload_file(url, token, path, mapping, args.on_duplicate, report, progress=not args.quiet)
    else:
        totals = import_file(url, token, path, mapping, args.on_duplicate, report, args.chunk, progress=not args.quiet)
    summary = ", ".join(f"{count} {outcome.replace('_', ' ')}" for outcome, count in sorted(totals.items()))
    print(f"{path}: {summary or 'no rows'}; report: {report}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from cis_local.transfer import export

    url, token = _api(args)
    if args.output:
        with open(args.output, "w", newline="", encoding="utf-8") as out:
            count = export(url, token, out, args.format)
        print(f"{count} customers written to {args.output}", file=sys.stderr)
    else:
        export(url, token, sys.stdout, args.format)
    return 0


def _token(args: argparse.Namespace) -> int:
    from cis_local import tokens

    if args.customer:  # a customer's token, linked on the running runtime's table to that record
        _use_runtime()
        from cis_local import sign_ups

        print(tokens.mint_customer(sign_ups.link(args.customer), ttl_s=args.hours * 3600))
        return 0
    if not args.role:
        raise SystemExit("cis token: give --role (staff) or --customer <customer id>")
    print(tokens.mint([Role(role) for role in args.role], subject=args.subject, ttl_s=args.hours * 3600))
    return 0


def _signup(args: argparse.Namespace) -> int:
    import uuid

    from cis_local import sign_ups, tokens

    _use_runtime()
    subject = str(uuid.uuid4())  # as the customer pool makes a `sub`
    with contextlib.redirect_stdout(sys.stderr):  # the function's log lines: stdout is the answer's
        customer_id = sign_ups.confirm(subject, args.email, args.phone, given_name=args.given_name)
    print(json.dumps({"customer_id": customer_id, "token": tokens.mint_customer(subject)}))
    return 0


def _signin(args: argparse.Namespace) -> int:
    from cis_local import sign_ups, tokens

    _use_runtime()
    with contextlib.redirect_stdout(sys.stderr):  # the function's log lines: stdout is the answer's
        customer_id = sign_ups.sign_in(args.subject, args.email, args.phone)
    print(json.dumps({"customer_id": customer_id, "token": tokens.mint_customer(args.subject)}))
    return 0


def _use_runtime() -> None:
    """Point this process at the running local runtime's table (its environment, its settings)."""
    from cis_local.jobs import _read_settings_again
    from cis_local.runtime import configure_environment

    if not RUNTIME_FILE.exists():
        raise SystemExit("no local runtime is running: start it with `make run`")
    runtime = json.loads(RUNTIME_FILE.read_text())
    configure_environment(runtime["dynamodb_endpoint"], runtime["table_name"], runtime["aws_endpoint"])
    _read_settings_again()


def _openapi(args: argparse.Namespace) -> int:
    from cis_local import openapi

    if args.check:
        current = openapi.SPEC_PATH.read_text(encoding="utf-8") if openapi.SPEC_PATH.exists() else ""
        if current != openapi.generate():
            print("functions/api_docs/openapi.json is out of date: run `cis openapi`", file=sys.stderr)
            return 1
        print("openapi.json is current")
        return 0
    openapi.write()
    return 0


def _restore_verify(args: argparse.Namespace) -> int:
    import boto3

    from cis_local.restore import verify

    return verify(boto3.client("dynamodb"), args.source, args.target, sys.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cis", description=__doc__)
    from cis.domain.imports import OnDuplicate  # the import's choices, as the API takes them

    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="serve the API on 127.0.0.1 with an embedded DynamoDB (moto)")
    run.add_argument("--host", default=os.environ.get("CIS_HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("CIS_PORT", "8000")))
    run.add_argument("--no-demo", action="store_true", help="start with an empty table")
    run.set_defaults(action=_run)

    token = commands.add_parser("token", help="print a development token for the local API")
    token.add_argument("--role", action="append", choices=[str(r) for r in Role], help="a staff token's roles")
    token.add_argument("--customer", metavar="CUSTOMER_ID", help="a customer app token, linked to this record")
    token.add_argument("--subject", help="the token's sub claim (default dev-<role>)")
    token.add_argument("--hours", type=int, default=12)
    token.set_defaults(action=_token)

    signup = commands.add_parser(
        "signup", help="a customer signs up in the customer app and confirms: linked by verified contact, or new"
    )
    signup.add_argument("--email", help="the email address the customer verified")
    signup.add_argument("--phone", help="the phone number the customer verified")
    signup.add_argument("--given-name")
    signup.set_defaults(action=_signup)

    signin = commands.add_parser(
        "signin", help="a customer signs in (post authentication): links the sign-in if its sign-up's link failed"
    )
    signin.add_argument("--subject", required=True, help="the customer pool's `sub` of the sign-in")
    signin.add_argument("--email", help="a verified email address of the account")
    signin.add_argument("--phone", help="a verified phone number of the account")
    signin.set_defaults(action=_signin)

    events = commands.add_parser("events", help="print the domain events of the running local runtime")
    events.add_argument("--once", action="store_true", help="stop when no event is waiting")
    events.set_defaults(action=_events)

    jobs = commands.add_parser("jobs", help="scheduled jobs, run now against the local runtime")
    job_commands = jobs.add_subparsers(dest="jobs_command", required=True)
    job_run = job_commands.add_parser("run", help="run a job's real code for a day, as its schedule would")
    job_run.add_argument("job", choices=[f.schedule.job for f in FUNCTIONS if f.schedule])
    job_run.add_argument(
        "--date", type=_day, help="the day to run for, YYYY-MM-DD (default: today in the business zone)"
    )
    job_run.add_argument("--wait", type=float, default=30, help="seconds to wait for the notifier (0: do not wait)")
    job_run.set_defaults(action=_jobs)

    sent = commands.add_parser("sent", help="the emails and SMS the local runtime sent, as JSON lines")
    sent.set_defaults(action=_sent)

    spec = commands.add_parser("openapi", help="regenerate functions/api_docs/openapi.json from the models")
    spec.add_argument("--check", action="store_true", help="fail if the committed document is out of date")
    spec.set_defaults(action=_openapi)

    load = commands.add_parser("import", help="import customers from a CSV file (resumable: re-run after a stop)")
    load.add_argument("file")
    load.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD", help="e.g. Surname=family_name")
    load.add_argument("--on-duplicate", choices=list(get_args(OnDuplicate)), default="skip")
    load.add_argument("--report", help="where the row report goes (default: FILE.report.csv)")
    load.add_argument("--chunk", type=int, default=200, help="rows per request")
    load.add_argument(
        "--upload", action="store_true", help="upload the whole file (S3), imported in parts by the import worker"
    )
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    out = commands.add_parser("export", help="every active customer as CSV (re-importable) or JSON lines")
    out.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    out.add_argument("-o", "--output", help="file to write (default: standard output)")
    for command in (load, out):
        command.add_argument("--url", help="the API (default: the running `cis run`, or CIS_API_URL)")
        command.add_argument("--token", help="a bearer token (default: CIS_TOKEN, or a local admin token)")
    load.set_defaults(action=_import)
    out.set_defaults(action=_export)

    from cis_local.restore import STEPS

    restore = commands.add_parser(
        "restore",
        help="restore the deployed table to a new table, verify it, switch: --help prints the steps",
        description=STEPS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    restore.set_defaults(action=lambda _: restore.print_help() or 0)
    restore_commands = restore.add_subparsers(dest="restore_command")
    check = restore_commands.add_parser(
        "verify", help="count the items of each kind in two tables and compare (exit status 1 if they differ)"
    )
    check.add_argument("--source", required=True, help="the table restored from (the stack's TableName output)")
    check.add_argument("--target", required=True, help="the restored table")
    check.set_defaults(action=_restore_verify)

    args = parser.parse_args(argv)
    return args.action(args)


if __name__ == "__main__":
    sys.exit(main())
