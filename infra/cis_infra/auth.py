"""Staff sign-in: a Cognito user pool whose groups are the roles of `cis.topology.Role`."""

from __future__ import annotations

from aws_cdk import Duration, Fn, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from cis.topology import Role
from constructs import Construct


def issuer(user_pool: cognito.IUserPool) -> str:
    """The `iss` claim of a pool's tokens, https://cognito-idp.<region>.amazonaws.com/<pool id>: how the
    handlers tell a staff token from a customer's (CIS_STAFF_ISSUER, CIS_CUSTOMER_ISSUER)."""
    return Fn.join("", ["https://", user_pool.user_pool_provider_url])


# Staff's and customers' pools alike: long, mixed passwords (a temporary one lasts three days).
PASSWORD_POLICY = cognito.PasswordPolicy(
    min_length=12,
    require_lowercase=True,
    require_uppercase=True,
    require_digits=True,
    require_symbols=True,
    temp_password_validity=Duration.days(3),
)


class StaffDirectory(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)

        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,  # staff accounts are created by an admin
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=PASSWORD_POLICY,
            # Staff read and change every customer's personal data: a second factor is required,
            # and it is an authenticator app (TOTP), so no SMS role or SMS spend is needed.
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            # Plus plan: threat protection blocks compromised credentials and risky sign-ins.
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.groups = {
            role: self.user_pool.add_group(
                f"{role.value.title()}Group", group_name=role.value, description=f"CIS staff role '{role.value}'"
            )
            for role in Role
        }

        # A public client (a browser or CLI cannot keep a secret): SRP only, no plain-password flows,
        # no hosted-UI OAuth until there is a domain and a callback to register.
        self.client = self.user_pool.add_client(
            "StaffClient",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
        )
