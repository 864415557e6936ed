"""cdk-nag 3: acknowledging findings, and reading what synthesis reported.

cdk-nag 3 runs as a CDK validation plugin (`Validations.of(app).add_plugins(...)`). At
synthesis it writes every finding to `<outdir>/validation-report.json`; error-level
findings also make `app.synth()` raise, warning-level ones do not. Acknowledgements go
through CDK's own `Validations.of(scope).acknowledge(...)`, apply to the scope and every
construct under it, and match one finding id exactly (no prefixes, no wildcards).
"""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

AWS_SOLUTIONS, SERVERLESS = "AwsSolutions", "Serverless"  # the rule packs build.attach_nag attaches
REPORT = "validation-report.json"


def acknowledge(scope: IConstruct, rule: str, reason: str, *, pack: str = AWS_SOLUTIONS) -> None:
    """Acknowledge one finding of `pack`, e.g. rule="L1", rule="IAM5[Resource::*]" or, with
    pack=SERVERLESS, rule="LambdaDLQ", with a reason.

    The plugin-qualified id ("AwsSolutions::AwsSolutions-L1") makes CDK list the finding
    under the report's suppressedViolations with its reason, so acknowledgements stay auditable.
    """
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{pack}::{pack}-{rule}", reason=reason))


def findings(outdir: str | Path) -> list[str]:
    """Every unacknowledged violation, of any plugin and any severity, in the report synthesis wrote."""
    report = Path(outdir) / REPORT
    if not report.is_file():
        raise FileNotFoundError(f"{report} is missing: was the app synthesized with its validation plugins?")
    return [
        f"{violation['severity']} {violation['ruleName']} at {construct['constructPath']} ({plugin['pluginName']})"
        for plugin in json.loads(report.read_text(encoding="utf-8"))["pluginReports"]
        for violation in plugin.get("violations", [])
        for construct in violation.get("violatingConstructs", [])
    ]
