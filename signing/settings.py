"""Signing settings, read from `LIASSE_*` environment variables.

Kept in this package beside `application.settings.Settings` (the signing layer reads them
without importing the application layer); names are
already the final `LIASSE_*` ones so nothing changes for operators when that happens. Secrets
(seal password, Twilio token) come from the environment only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PadesLevelName = Literal["B-B", "B-T", "B-LT", "B-LTA"]


class SigningSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIASSE_", extra="ignore")

    home: Path = Field(default=Path("var"), description="Same folder as Settings.home.")

    # --- company seal (long-lived certificate, loaded once) ------------------------------------
    seal_cert: Path | None = Field(
        default=None, description="Seal certificate: PKCS#12 (.p12/.pfx) or PEM; demo PKI if unset."
    )
    seal_key: Path | None = Field(
        default=None, description="PEM private key when seal_cert is PEM."
    )
    seal_password: SecretStr | None = Field(default=None, description="PKCS#12 / key password.")
    seal_chain: Path | None = Field(default=None, description="PEM bundle of intermediate certs.")

    # --- Liasse signing CA (issues one-time signer certificates) -------------------------------
    signing_ca_cert: Path | None = Field(default=None, description="PEM CA certificate.")
    signing_ca_key: Path | None = Field(default=None, description="PEM CA private key.")
    signing_ca_password: SecretStr | None = None
    signing_ca_crl_url: str | None = Field(
        default=None, description="CRL distribution point written into one-time certificates."
    )
    signer_cert_minutes: int = Field(default=60, ge=5, description="One-time certificate validity.")

    # --- PAdES profile ---------------------------------------------------------------------------
    tsa_url: str | None = Field(default=None, description="RFC 3161 TSA URL; local TSA if unset.")
    pades_level: PadesLevelName = Field(
        default="B-LT",
        description="Signatures and seals: B-LT embeds the chain's revocation info (verifiable "
        "offline for years); B-LTA adds a document timestamp; B-T/B-B are not long-term.",
    )
    seal_pades_level: PadesLevelName | None = Field(
        default=None,
        description="Level of the company seal if it differs (B-LTA for archived documents); "
        "unset = pades_level.",
    )
    trust_roots: Path | None = Field(
        default=None, description="Extra PEM bundle of trusted roots for verification."
    )

    # --- one-time codes and sessions -------------------------------------------------------------
    otp_ttl_seconds: int = Field(default=600, ge=30)
    otp_max_attempts: int = Field(default=5, ge=1)
    otp_max_sends: int = Field(default=3, ge=1)
    otp_send_window_seconds: int = Field(default=900, ge=60)
    signing_link_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=300)
    signing_session_days: int = Field(default=14, ge=1)
    signing_reminder_hours: int = Field(default=48, ge=1, description="Between two reminders.")
    public_base_url: str = Field(default="http://127.0.0.1:8000", description="Portal base URL.")

    # --- Twilio (or the bundled fake) ------------------------------------------------------------
    sms_backend: Literal["fake", "twilio"] = Field(
        default="fake",
        description="fake: the bundled fake Twilio (no real SMS is sent); twilio: Twilio, or "
        "the Twilio-compatible host at LIASSE_TWILIO_BASE_URL.",
    )
    twilio_account_sid: str = "AC00000000000000000000000000000000"
    twilio_auth_token: SecretStr = SecretStr("fake-twilio-token")
    twilio_from: str = "+33700000000"
    twilio_base_url: str | None = Field(
        default=None, description="Base URL of a Twilio-compatible API (the fake); None = Twilio."
    )

    @property
    def pki_dir(self) -> Path:
        return self.home / "pki"

    @property
    def sms_outbox_file(self) -> Path:
        return self.home / "outbox" / "sms.json"

