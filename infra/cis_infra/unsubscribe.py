"""Unsubscribe links (topology `link_key`): the KMS HMAC key that signs them, who may use it, and where
they point.

The key (HMAC_256, GENERATE_VERIFY_MAC) never leaves KMS, so no function holds a secret: functions with
link_key "sign" (the notifier) may only make MACs (kms:GenerateMac), those with "verify" (the unsubscribe
function) may only check them (kms:VerifyMac). A function that verifies cannot forge a link, and the one
that signs cannot be asked by a caller to check anything.

The links point at the API's stage URL (or `-c publicApiUrl=https://api.example.com` under a custom
domain). The notifier reads it from its environment: no cycle, because the API's deployment depends on
the functions behind its routes only, and the notifier has none. A function that both served routes and
signed links would need the URL from elsewhere (an SSM parameter written after the stage).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from cis.topology import FUNCTIONS
from constructs import Construct

from cis_infra.nag import acknowledge

PUBLIC_URL_CONTEXT = "publicApiUrl"
ACTIONS = {"sign": "kms:GenerateMac", "verify": "kms:VerifyMac"}


class UnsubscribeLinks(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, functions: Mapping[str, lambda_.Function], api_url: str
    ) -> None:
        super().__init__(scope, construct_id)
        for spec in FUNCTIONS:
            if spec.link_key not in ("none", *ACTIONS):
                raise ValueError(f"{spec.name} has link_key {spec.link_key!r}: only none, sign or verify exist")
            if any(route.signed for route in spec.routes) and spec.link_key != "verify":
                raise ValueError(f"{spec.name} serves signed routes but may not verify links (link_key='verify')")
        self.key = kms.Key(
            self,
            "LinkKey",
            description="CIS unsubscribe links: HMAC-SHA-256 of each link's token",
            key_spec=kms.KeySpec.HMAC_256,
            key_usage=kms.KeyUsage.GENERATE_VERIFY_MAC,
            # Deleting it would void every link in every inbox; a year after the last send it may go by hand.
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.key,
            "KMS5",
            "An HMAC key: KMS rotates symmetric encryption keys only. The links it signs expire after a year.",
        )
        public_url = str(scope.node.try_get_context(PUBLIC_URL_CONTEXT) or api_url)
        for spec in FUNCTIONS:
            if spec.link_key == "none":
                continue
            function = functions[spec.name]
            self.key.grant(function, ACTIONS[spec.link_key])
            function.add_environment("CIS_UNSUBSCRIBE_KEY_ID", self.key.key_arn)
            if spec.link_key == "sign":
                function.add_environment("CIS_PUBLIC_API_URL", public_url)
