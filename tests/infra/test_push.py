"""Push permissions: only with platform applications configured, and then only on their endpoints."""

from __future__ import annotations

import contextlib
import json

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template
from cis.topology import FUNCTIONS
from cis_infra.build import attach_nag
from cis_infra.nag import findings
from cis_infra.push import PushNotifications, endpoints_of

IOS = "arn:aws:sns:eu-west-1:111122223333:app/APNS/cis-app"
ANDROID = "arn:aws:sns:eu-west-1:111122223333:app/GCM/cis-app"


def _synth(applications: dict, outdir: str | None = None) -> dict:
    app = App(context={"pushPlatformApplications": applications}, outdir=outdir)
    stack = Stack(app, "PushOnly")
    functions = {
        spec.name: lambda_.Function(
            stack,
            spec.name,
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="h.h",
            code=lambda_.Code.from_inline("def h(e, c): ..."),
        )
        for spec in FUNCTIONS
    }
    PushNotifications(stack, "Push", functions=functions)
    if outdir:  # with cdk-nag's rule packs, as the app's synth runs them
        attach_nag(app)
        with contextlib.suppress(Exception):  # this bare stack fails other rules (no DLQs...): not ours
            app.synth()
        return {}
    return Template.from_stack(stack).to_json()


def _sns_statements(template: dict) -> dict[str, list[dict]]:
    """SNS statements by the function role they are attached to."""
    found: dict[str, list[dict]] = {}
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        role = resource["Properties"]["Roles"][0]["Ref"]
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(action.startswith("sns:") for action in actions):
                found.setdefault(role, []).append(statement)
    return found


def test_without_platform_applications_no_function_gets_a_push_permission():
    template = _synth({"ios": "", "android": ""})
    assert _sns_statements(template) == {}
    me = next(
        r for n, r in template["Resources"].items() if n.startswith("meapi") and r["Type"] == "AWS::Lambda::Function"
    )
    assert me["Properties"]["Environment"]["Variables"]["CIS_PUSH_APPLICATIONS"] == "{}"


def test_registering_functions_make_endpoints_erasers_delete_them_and_senders_publish_to_them_only():
    statements = _sns_statements(_synth({"ios": IOS, "android": ANDROID}))
    endpoints = sorted([endpoints_of(IOS), endpoints_of(ANDROID)])
    by_function = {role.split("ServiceRole")[0]: s for role, s in statements.items()}
    registering = {spec.name.replace("_", "") for spec in FUNCTIONS if spec.registers_devices}
    sending = {spec.name.replace("_", "") for spec in FUNCTIONS if "push" in spec.sends}
    erasing = {spec.name.replace("_", "") for spec in FUNCTIONS if spec.deletes_devices}
    assert erasing == {"customersapi", "retention"}
    assert set(by_function) == registering | sending | erasing
    for name, found in by_function.items():
        granted = {
            action: sorted(s["Resource"]) for s in found for action in s["Action"] if isinstance(s["Action"], list)
        }
        granted |= {s["Action"]: sorted(s["Resource"]) for s in found if isinstance(s["Action"], str)}
        if name in sending:
            assert granted == {"sns:Publish": endpoints}
        elif name in erasing:
            assert granted == {"sns:DeleteEndpoint": endpoints}
        else:
            assert granted["sns:CreatePlatformEndpoint"] == sorted([IOS, ANDROID])
            assert granted["sns:SetEndpointAttributes"] == granted["sns:DeleteEndpoint"] == endpoints
    assert endpoints_of(IOS) == "arn:aws:sns:eu-west-1:111122223333:endpoint/APNS/cis-app/*"


def test_the_endpoint_wildcards_pass_cdk_nag_with_their_reason(tmp_path):
    _synth({"ios": IOS, "android": ANDROID}, str(tmp_path))
    on_endpoints = [finding for finding in findings(tmp_path) if ":endpoint/" in finding]
    assert on_endpoints == []
    report = (tmp_path / "validation-report.json").read_text(encoding="utf-8")
    assert "SNS gives each its id when a device registers" in report  # acknowledged, with the reason


@pytest.mark.parametrize("bad", [{"windows": IOS}, {"ios": "not-an-arn"}, ["ios"]])
def test_a_malformed_push_setting_fails_the_synth(bad):
    with pytest.raises(ValueError, match="pushPlatformApplications"):
        _synth(bad)


def test_the_setting_reaches_the_registering_function_as_json():
    template = _synth({"ios": IOS})
    me = next(
        r for n, r in template["Resources"].items() if n.startswith("meapi") and r["Type"] == "AWS::Lambda::Function"
    )
    assert json.loads(me["Properties"]["Environment"]["Variables"]["CIS_PUSH_APPLICATIONS"]) == {"ios": IOS}
