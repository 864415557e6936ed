"""`cis jobs run`: a scheduled job's real handler, run here against the running local runtime.

The handler runs as its schedule would start it; when it stops with a cursor, it is invoked again
with the continuation its EventBridge rule would deliver. Its events go to the local bus, where the
notifier's queue picks up the ones meant for it.
"""

from __future__ import annotations

import json
import os
import time

from cis.topology import job_function

from cis_local.functions import load_handler
from cis_local.gateway import LambdaContext
from cis_local.runtime import configure_environment


def _read_settings_again() -> None:
    """The settings as the runtime's environment makes them. The command line may have loaded them
    already (its options' choices come from the domain, which reads the phone region), with this shell's
    table name: the handler and its repositories, loaded next, must see the runtime's."""
    import sys

    import cis.config

    if "cis.repository.factory" in sys.modules:  # its clients and names were made from the old settings
        raise RuntimeError("cis jobs run: the repositories were loaded before the runtime's environment was set")
    cis.config.settings = cis.config.Settings.from_env()


def run(runtime: dict, job: str, day: str | None, wait_s: float = 30) -> int:
    function = job_function(job)
    configure_environment(runtime["dynamodb_endpoint"], runtime["table_name"], runtime["aws_endpoint"])
    _read_settings_again()
    module = load_handler(function)
    event: dict = {"date": day} if day else {}
    totals = {"read": 0, "emitted": 0, "invocations": 0}
    while True:
        result = module.handler(event, LambdaContext(function))
        totals = {name: totals[name] + result.get(name, 0) for name in ("read", "emitted")} | {
            "invocations": totals["invocations"] + 1
        }
        if result["done"]:
            break
        event = {"detail-type": "job.continued", "detail": {"date": result["date"], "cursor": result["cursor"]}}
    print(json.dumps({"job": job, "date": result["date"], **totals}), flush=True)
    notifier = runtime.get("queues", {}).get("notifier")
    if wait_s > 0 and notifier and totals["emitted"]:
        _wait_for_queue(runtime["aws_endpoint"], notifier[0], wait_s)
    return 0


def _wait_for_queue(endpoint: str, queue_url: str, wait_s: float) -> None:
    """Until the notifier has taken every message it can send now (those waiting out quiet hours stay)."""
    import boto3

    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=os.environ["AWS_DEFAULT_REGION"])
    deadline = time.monotonic() + wait_s
    time.sleep(1)  # the bus delivers to the queue a moment after the job put the events
    while time.monotonic() < deadline:
        counts = sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        if counts["ApproximateNumberOfMessages"] == "0":
            time.sleep(2)  # let the batch in hand finish
            waiting = sqs.get_queue_attributes(
                QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
            )["Attributes"]["ApproximateNumberOfMessagesNotVisible"]
            print(json.dumps({"notifier": "idle", "waiting_for_quiet_hours_or_retry": int(waiting)}), flush=True)
            print("see what was sent: .venv/bin/cis sent", flush=True)
            return
        time.sleep(0.5)
    print(json.dumps({"notifier": "still busy", "after_s": wait_s}), flush=True)


def sent(endpoint: str) -> list[dict]:
    """Every email (SES), SMS and push notification (SNS) moto received, from moto's /moto-api/data.json."""
    import requests

    data = requests.get(f"{endpoint}/moto-api/data.json", timeout=10).json()
    emails = [
        {
            "channel": "email",
            "to": m["destinations"].get("ToAddresses", []),
            "subject": m["subject"],
            "text": m["body"],
            "headers": {h["Name"]: h["Value"] for h in m.get("headers", [])},  # kept by cis_local.moto_fixes
        }
        for m in data.get("ses", {}).get("Message", [])
    ]
    texts = [
        {"channel": "sms", "to": m["phone_number"], "text": m["message"]} for m in data.get("sns", {}).get("SMS", [])
    ]
    pushes = [  # what the customer app's devices were sent (SNS mobile push, MessageStructure json)
        {"channel": "push", "to": device["arn"], "text": body["default"]}
        for device in data.get("sns", {}).get("PlatformEndpoint", [])
        for body in map(json.loads, device.get("messages", {}).values())
    ]
    return emails + texts + pushes
