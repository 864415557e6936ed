"""Mobile devices a customer's app registered for push notifications (SNS platform endpoints).

A device is one app install: its push token, given by Apple's or Google's push service, belongs to one
customer at a time (signing in as someone else on the same phone moves it). The token itself is not
kept: SNS holds it in the platform endpoint, the profile keeps the endpoint's ARN."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from cis.domain.contact import Strict
from cis.domain.model import Model

MAX_DEVICES = 10  # per customer: phones and tablets, old installs fall off when the app re-registers


class Platform(StrEnum):
    """The push service: Apple (APNs) or Google (Firebase Cloud Messaging)."""

    IOS = "ios"
    ANDROID = "android"


class DeviceIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"platform": "ios", "token": "9f1c2e...", "app_version": "3.2.0"}]}
    )

    platform: Platform
    token: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9:_\-.]{16,4096}$")] = Field(
        description="The push token the platform's push service gave the app"
    )
    app_version: Annotated[str, StringConstraints(max_length=32)] | None = None


class Device(Model):
    """A registered device, as the profile keeps it."""

    platform: Platform
    endpoint: str = Field(description="Where push notifications for it go (an SNS platform endpoint)")
    registered_at: datetime
    app_version: str | None = None


class RegisteredDevice(Model):
    id: str = Field(description="Use it to remove the device (sign-out): DELETE /v1/me/devices/{device_id}")
    platform: Platform
    registered_at: datetime


def device_id(platform: str, token: str) -> str:
    """The same install, the same id: a digest of the token, which is not kept."""
    return hashlib.sha256(f"{platform}:{token}".encode()).hexdigest()[:32]
