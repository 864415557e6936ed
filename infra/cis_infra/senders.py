"""What functions that send to customers (topology `sends`) may send: email through SES from the
configured sender only, and SMS straight to phone numbers through SNS, never to a topic."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ses as ses
from cis.topology import FUNCTIONS
from constructs import Construct

from cis_infra.nag import acknowledge

CHANNELS = {"email", "sms", "push"}  # push: its permissions are cis_infra.push's


class Senders(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.Function],
        sender_email: str,
        pushes: bool = False,
    ) -> None:
        """`pushes`: push platform applications are configured (cis_infra.push grants their endpoints)."""
        super().__init__(scope, construct_id)
        senders = [spec for spec in FUNCTIONS if spec.sends]
        for spec in senders:
            if unknown := set(spec.sends) - CHANNELS:
                raise ValueError(f"{spec.name} sends through {sorted(unknown)}: only {sorted(CHANNELS)} exist")
        # SES asks the address to confirm (an email with a link) before it sends from it.
        self.identity = ses.EmailIdentity(self, "Sender", identity=ses.Identity.email(sender_email))
        for spec in senders:
            function = functions[spec.name]
            if "email" in spec.sends:
                function.add_to_role_policy(
                    iam.PolicyStatement(
                        actions=["ses:SendEmail"],
                        resources=[self.identity.email_identity_arn],
                        conditions={"StringEquals": {"ses:FromAddress": sender_email}},
                    )
                )
            if "sms" in spec.sends:
                # An SMS to a phone number has no ARN to name, so Publish needs Resource "*"; the deny
                # takes back every SNS ARN (topics, platform endpoints): what is left is SMS only.
                function.add_to_role_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=["*"]))
                if not ("push" in spec.sends and pushes):
                    function.add_to_role_policy(
                        iam.PolicyStatement(
                            effect=iam.Effect.DENY, actions=["sns:Publish"], resources=["arn:*:sns:*:*:*"]
                        )
                    )
                # With push on, no deny: it would win over the push endpoints' allow (cis_infra.push), and
                # IAM cannot tell a topic's ARN from an endpoint's by pattern. The code publishes to phone
                # numbers and its customers' endpoints only.
                acknowledge(
                    function.role,
                    "IAM5[Resource::*]",
                    "Active tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) and SMS (sns:Publish to a "
                    "phone number) have no resource-level permissions, so AWS requires Resource '*'. A deny on "
                    "every SNS ARN keeps Publish to SMS: no topic, no platform endpoint (unless push is configured: "
                    "then the project's platform endpoints are allowed by ARN, and the deny would take them back).",
                )
