"""Settings read once from the environment (Lambda configuration, or the local runtime)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    table_name: str
    event_bus_name: str
    default_phone_region: str
    max_body_bytes: int

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            table_name=os.environ.get("TABLE_NAME", "cis-local"),
            event_bus_name=os.environ.get("EVENT_BUS_NAME", "cis-local"),
            default_phone_region=os.environ.get("CIS_DEFAULT_PHONE_REGION", "US").upper(),
            max_body_bytes=int(os.environ.get("CIS_MAX_BODY_BYTES", str(64 * 1024))),
        )


settings = Settings.from_env()
