"""Chorus Pro connection settings, read from `LIASSE_CHORUS_*` environment variables.

Two sets of credentials are needed and they fail in different ways, so they are kept apart:
the PISTE application (`client_id` / `client_secret`, OAuth2 client credentials) and the Chorus
Pro technical account (`technical_login` / `technical_password`, sent as the `cpro-account`
header). The hosts follow `sandbox`; explicit base URLs override them so tests and the demo can
point at the bundled fake.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PRODUCTION_API = "https://api.piste.gouv.fr"
PRODUCTION_OAUTH = "https://oauth.piste.gouv.fr"
SANDBOX_API = "https://sandbox-api.piste.gouv.fr"
SANDBOX_OAUTH = "https://sandbox-oauth.piste.gouv.fr"


class ChorusSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIASSE_CHORUS_", extra="ignore")

    client_id: str = Field(default="", description="PISTE application client id.")
    client_secret: SecretStr = Field(default=SecretStr(""), description="PISTE client secret.")
    technical_login: str = Field(default="", description="Chorus Pro technical account login.")
    technical_password: SecretStr = Field(
        default=SecretStr(""), description="Chorus Pro technical account password."
    )
    technical_password_expires_on: date | None = Field(
        default=None, description="When the technical account password expires (reminders)."
    )
    sandbox: bool = Field(default=True, description="Use the PISTE qualification hosts.")
    api_base_url: str | None = Field(default=None, description="Overrides the API host.")
    oauth_base_url: str | None = Field(default=None, description="Overrides the OAuth host.")
    timeout_seconds: float = Field(default=30.0, gt=0, description="Per-request timeout.")
    max_concurrency: int = Field(default=8, ge=1, description="Parallel deposits at most.")
    reconcile_after_seconds: int = Field(
        default=3600,
        ge=0,
        description="After an ambiguous deposit failure, wait this long for Chorus Pro to "
        "integrate a flow that may have arrived before searching for it and depositing again.",
    )

    def password_reminder(self, today: date, warn_days: int = 30) -> tuple[str, str] | None:
        """(fr, en) reminder when the technical account password expires within `warn_days`
        (an expired password stops every deposit with a 401)."""
        expires = self.technical_password_expires_on
        if expires is None or (expires - today).days > warn_days:
            return None
        days = (expires - today).days
        if days < 0:
            return (
                f"Le mot de passe du compte technique Chorus Pro a expiré le {expires} : le "
                "renouveler sur Chorus Pro puis mettre à jour LIASSE_CHORUS_TECHNICAL_PASSWORD.",
                f"The Chorus Pro technical account password expired on {expires}: renew it on "
                "Chorus Pro, then update LIASSE_CHORUS_TECHNICAL_PASSWORD.",
            )
        return (
            f"Le mot de passe du compte technique Chorus Pro expire dans {days} jour(s) "
            f"({expires}) : le renouveler puis mettre à jour LIASSE_CHORUS_TECHNICAL_PASSWORD.",
            f"The Chorus Pro technical account password expires in {days} day(s) ({expires}): "
            "renew it, then update LIASSE_CHORUS_TECHNICAL_PASSWORD.",
        )

    @property
    def resolved_api_url(self) -> str:
        return (self.api_base_url or (SANDBOX_API if self.sandbox else PRODUCTION_API)).rstrip("/")

    @property
    def resolved_oauth_url(self) -> str:
        default = SANDBOX_OAUTH if self.sandbox else PRODUCTION_OAUTH
        return (self.oauth_base_url or default).rstrip("/")
