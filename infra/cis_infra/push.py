"""Push notifications to the customer app (topology `registers_devices`, `sends` "push").

The SNS platform applications hold the APNs and FCM credentials, which this app never sees: they are
made once per account (console or CLI, with the certificate or key) and named in cdk.json
`pushPlatformApplications` {"ios": <application ARN>, "android": <application ARN>}. Left empty, a
device's registration answers 409 push_not_configured and no function gets any push permission.

Functions that register devices may make, enable and delete endpoints under those applications only;
functions that erase customers may delete them only; functions that send push may publish to those
applications' endpoints only."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from cis.topology import FUNCTIONS
from constructs import Construct

from cis_infra.nag import acknowledge

APPLICATIONS_CONTEXT = "pushPlatformApplications"
PLATFORMS = ("ios", "android")


def applications(scope: Construct) -> dict[str, str]:
    """The configured platform applications by platform; a malformed entry fails the synth."""
    given = scope.node.try_get_context(APPLICATIONS_CONTEXT) or {}
    if not isinstance(given, dict) or set(given) - set(PLATFORMS):
        raise ValueError(f"cdk.json {APPLICATIONS_CONTEXT} maps {' and '.join(PLATFORMS)} to application ARNs")
    found = {platform: arn for platform, arn in given.items() if arn}
    for platform, arn in found.items():
        if not (isinstance(arn, str) and arn.startswith("arn:") and ":app/" in arn):
            raise ValueError(f"cdk.json {APPLICATIONS_CONTEXT}.{platform} is not an SNS platform application ARN")
    return found


def endpoints_of(application_arn: str) -> str:
    """arn:...:app/APNS/name -> arn:...:endpoint/APNS/name/*: the endpoints made under it."""
    return application_arn.replace(":app/", ":endpoint/", 1) + "/*"


class PushNotifications(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, functions: Mapping[str, lambda_.Function]) -> None:
        super().__init__(scope, construct_id)
        self.applications = applications(self)
        apps, endpoints = list(self.applications.values()), [endpoints_of(a) for a in self.applications.values()]
        for spec in FUNCTIONS:
            function = functions[spec.name]
            if spec.registers_devices:
                function.add_environment("CIS_PUSH_APPLICATIONS", json.dumps(self.applications, sort_keys=True))
                if apps:
                    function.add_to_role_policy(
                        iam.PolicyStatement(actions=["sns:CreatePlatformEndpoint"], resources=apps)
                    )
                    _on_endpoints(function, ["sns:SetEndpointAttributes", "sns:DeleteEndpoint"], endpoints)
            elif spec.deletes_devices and endpoints:  # erasure: the erased customers' endpoints, nothing more
                _on_endpoints(function, ["sns:DeleteEndpoint"], endpoints)
            if "push" in spec.sends and endpoints:
                _on_endpoints(function, ["sns:Publish"], endpoints)


def _on_endpoints(function: lambda_.Function, actions: list[str], endpoints: list[str]) -> None:
    """`actions` on the applications' endpoints. SNS names an endpoint by an id it makes at registration,
    so the resource can only be every endpoint under the application: the wildcard is acknowledged."""
    function.add_to_role_policy(iam.PolicyStatement(actions=actions, resources=endpoints))
    for pattern in endpoints:
        acknowledge(
            function.role,
            f"IAM5[Resource::{pattern}]",
            f"{', '.join(actions)} on the app's push endpoints: SNS gives each its id when a device registers, "
            "so the policy can name them only as every endpoint of the configured platform application.",
        )
