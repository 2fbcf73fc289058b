"""Settings of the portal, read from `LIASSE_PORTAL_*` variables.

The secret that signs session cookies and CSRF tokens is the instance's `LIASSE_SECRET_KEY`
(`application.settings.Settings.resolved_secret_key`), under purpose-specific salts; the sign-in
lock-out counts `LIASSE_OTP_MAX_ATTEMPTS` wrong passwords, the SMS codes' number.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIASSE_PORTAL_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Address `liasse portal` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port of `liasse portal`.")
    secure_cookies: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="Secure cookies: `auto` when the request came over HTTPS (directly or "
                    "through a proxy trusted by `forwarded_allow_ips`), `always`, `never`.",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1", description="Proxies whose X-Forwarded-Proto/For uvicorn trusts."
    )
    session_hours: int = Field(default=8, ge=1, le=24 * 30,
                               description="A sign-in lasts this long.")
    lockout_minutes: int = Field(default=15, ge=1,
                                 description="How long too many wrong passwords lock an account.")
