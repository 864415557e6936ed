"""Customer sign-in: a Cognito user pool of its own, apart from the staff pool (`auth.StaffDirectory`).

Customers sign themselves up with their email address and sign in through the hosted UI, from the web
app or the mobile app: public clients (no secret) on the OAuth 2.0 authorization code grant, which
public clients use with PKCE. Their tokens reach only the customer routes (`Route.customer`, /v1/me...);
the functions the topology names as Cognito triggers (`Function.cognito_triggers`) are attached to
this pool, through their aliases as every other invoker does.

Context (cdk.json, or -c on the command line; a list may be given as JSON):

    customerWebCallbackUrls / customerWebLogoutUrls         the web app's redirect URLs
    customerMobileCallbackUrls / customerMobileLogoutUrls   the mobile app's (an app scheme, e.g. cis://...)
    customerAuthDomainPrefix                                the hosted UI's <prefix>.auth.<region>.amazoncognito.com
                                                            (default cis-customers-<account id>)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

from aws_cdk import Aws, Duration, Fn, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from cis.topology import FUNCTIONS
from constructs import Construct

from cis_infra.auth import PASSWORD_POLICY
from cis_infra.nag import acknowledge

WEB_CALLBACKS_CONTEXT = "customerWebCallbackUrls"
WEB_LOGOUTS_CONTEXT = "customerWebLogoutUrls"
MOBILE_CALLBACKS_CONTEXT = "customerMobileCallbackUrls"
MOBILE_LOGOUTS_CONTEXT = "customerMobileLogoutUrls"
DOMAIN_PREFIX_CONTEXT = "customerAuthDomainPrefix"

DEFAULT_URLS = {
    WEB_CALLBACKS_CONTEXT: ["http://localhost:3000/auth/callback"],
    WEB_LOGOUTS_CONTEXT: ["http://localhost:3000/"],
    MOBILE_CALLBACKS_CONTEXT: ["cis://auth/callback"],
    MOBILE_LOGOUTS_CONTEXT: ["cis://auth/signout"],
}
DOMAIN_PREFIX = "cis-customers"  # then the account id: prefix domains are unique in a Region

# Short-lived tokens: a stolen one is good for minutes; the apps refresh them.
TOKEN_VALIDITY = Duration.minutes(15)
WEB_REFRESH_VALIDITY = Duration.days(1)
MOBILE_REFRESH_VALIDITY = Duration.days(30)  # an app on the customer's own phone: sign in once a month
SCOPES = [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE, cognito.OAuthScope.PHONE]


class AppUrls(NamedTuple):
    callbacks: list[str]
    logouts: list[str]


def _url_list(scope: Construct, key: str, *, app_scheme: bool) -> list[str]:
    value = scope.node.try_get_context(key)
    if value is None:
        value = DEFAULT_URLS[key]
    if isinstance(value, str):  # -c key='["https://..."]', or a single URL
        value = json.loads(value) if value.lstrip().startswith("[") else [value]
    if not isinstance(value, list) or not value or not all(isinstance(url, str) for url in value):
        raise ValueError(f"context {key} must be a non-empty list of URLs, got {value!r}")
    for url in value:
        parts = urlsplit(url)
        # What Cognito accepts: https, http on localhost only, or (for an app) its own scheme; no fragment.
        allowed = (
            (parts.scheme == "https" and parts.hostname)
            or (parts.scheme == "http" and parts.hostname == "localhost")
            or (app_scheme and re.fullmatch(r"[a-z][a-z0-9+.-]*", parts.scheme) and parts.scheme not in ("http",))
        )
        if not allowed or parts.fragment:
            kinds = "https, http://localhost" + (" or an app scheme" if app_scheme else "")
            raise ValueError(f"context {key}: {url!r} is not a redirect URL Cognito takes ({kinds}, no #fragment)")
    return value


def app_urls(scope: Construct) -> dict[str, AppUrls]:
    """The web and mobile apps' callback and logout URLs, from context, checked before anything is built."""
    return {
        "web": AppUrls(
            _url_list(scope, WEB_CALLBACKS_CONTEXT, app_scheme=False),
            _url_list(scope, WEB_LOGOUTS_CONTEXT, app_scheme=False),
        ),
        "mobile": AppUrls(
            _url_list(scope, MOBILE_CALLBACKS_CONTEXT, app_scheme=True),
            _url_list(scope, MOBILE_LOGOUTS_CONTEXT, app_scheme=True),
        ),
    }


def domain_prefix(scope: Construct) -> str:
    """The hosted UI's Cognito prefix domain: the context's, or cis-customers-<account id> (a deploy-time value)."""
    value = scope.node.try_get_context(DOMAIN_PREFIX_CONTEXT)
    if value is None or value == "":
        return Fn.join("-", [DOMAIN_PREFIX, Aws.ACCOUNT_ID])
    value = str(value)
    if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", value) or re.search("aws|amazon|cognito", value):
        raise ValueError(
            f"context {DOMAIN_PREFIX_CONTEXT} must be lowercase letters, digits and hyphens (at most 63), without "
            f"'aws', 'amazon' or 'cognito', got {value!r}"
        )
    return value


def trigger_operation(trigger: str) -> cognito.UserPoolOperation:
    """topology's "post_confirmation" -> UserPoolOperation.POST_CONFIRMATION; an unknown name fails the synth."""
    operation = getattr(cognito.UserPoolOperation, trigger.upper(), None) if trigger.islower() else None
    if not isinstance(operation, cognito.UserPoolOperation):
        raise ValueError(f"cognito_triggers: {trigger!r} is not a Cognito user pool trigger (e.g. post_confirmation)")
    return operation


class CustomerDirectory(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        urls, prefix = app_urls(self), domain_prefix(self)

        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=True,  # customers sign themselves up; the trigger links them to their record
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True),
                phone_number=cognito.StandardAttribute(required=False, mutable=True),  # optional, not for sign-in
            ),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            # A changed email takes effect once the new address is verified: until then the verified one
            # stays, so an address nobody has proven never becomes the sign-in (nor what the trigger reads).
            keep_original=cognito.KeepOriginalAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=PASSWORD_POLICY,
            # A second factor is the customer's choice, and it is an authenticator app (TOTP): no SMS role,
            # no SMS spend. Threat protection below asks risky sign-ins for more.
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            # Plus plan: threat protection blocks compromised credentials and risky sign-ins.
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.user_pool,
            "COG2",
            "Customers sign themselves up: MFA is optional (TOTP) so that signing up takes no authenticator app. "
            "Their tokens reach only their own record (/v1/me routes), and threat protection (Plus, full "
            "function) blocks compromised credentials and challenges risky sign-ins.",
        )

        self.web_client = self._client("WebClient", "web", urls["web"], WEB_REFRESH_VALIDITY)
        self.mobile_client = self._client("MobileClient", "mobile", urls["mobile"], MOBILE_REFRESH_VALIDITY)
        self.domain = self.user_pool.add_domain(
            "HostedUi", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix)
        )

    def _client(self, construct_id: str, name: str, urls: AppUrls, refresh: Duration) -> cognito.UserPoolClient:
        # A public client (a browser or a phone cannot keep a secret): the authorization code grant (with
        # PKCE, as the apps send it) through the hosted UI, no implicit grant and no password flows of the
        # API (refresh tokens only), so every sign-in passes the hosted UI and its threat protection.
        return self.user_pool.add_client(
            construct_id,
            user_pool_client_name=f"cis-customers-{name}",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=False, user_password=False, admin_user_password=False, custom=False),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False),
                scopes=SCOPES,
                callback_urls=urls.callbacks,
                logout_urls=urls.logouts,
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=TOKEN_VALIDITY,
            access_token_validity=TOKEN_VALIDITY,
            refresh_token_validity=refresh,
        )

    def attach_triggers(self, functions: Mapping[str, lambda_.IFunction]) -> None:
        """Each function the topology names as a Cognito trigger, as this pool's trigger: `functions` are the
        aliases (Cognito invokes the alias ARN it is given, so the published SnapStart version runs)."""
        for spec in FUNCTIONS:  # read now, not at import
            for trigger in spec.cognito_triggers:
                self.user_pool.add_trigger(trigger_operation(trigger), functions[spec.name])
