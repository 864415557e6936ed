"""The app as `cdk synth` runs it, with the cdk-nag rule packs attached: infra/app.py and the tests share it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Tags, Validations
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from cis_infra.stack import CisStack

STACK_NAME = "Cis"


def attach_nag(app: App) -> App:
    # cdk-nag 3 is a validation plugin, not an aspect: it runs after synthesis, error findings
    # fail synth, and every finding lands in <outdir>/validation-report.json.
    # AwsSolutions checks security; Serverless checks what a serverless app should have besides
    # (failure destinations, dead-letter queues, tracing, throttling, log retention).
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    return app


def build_app(*, outdir: str | None = None, context: Mapping[str, Any] | None = None) -> App:
    app = App(outdir=outdir, context=dict(context or {}))
    CisStack(app, STACK_NAME, description="Customer Information System: staff API, functions, customer table")
    Tags.of(app).add("project", "cis")
    return attach_nag(app)
