"""Company profile: who issues the documents, and the legal terms printed on every invoice.

Loaded from YAML (one file per issuing company) and validated with pydantic so that a typo in a
SIREN or an IBAN is caught when the profile is loaded, not when the first invoice is refused.
`demo_profile()` is the bundled example used by the demo and the tests.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from stdnum import bic as std_bic
from stdnum import iban as std_iban
from stdnum.fr import siren as std_siren
from stdnum.fr import siret as std_siret
from stdnum.fr import tva as std_tva

from dossiers.errors import ValidationError


class ProfileAddress(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    street: str
    extra: str | None = None
    postcode: str
    city: str
    country: str = "FR"


class CompanyProfile(BaseModel):
    """Identity and legal terms of the issuing company (the seller)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    legal_form: str = Field(description="SAS, SARL, SA...")
    share_capital: Decimal = Field(ge=0, description="Capital social in euros.")
    siren: str
    siret: str
    rcs_city: str = Field(description="Registry city: 'RCS Lyon'.")
    vat_number: str
    address: ProfileAddress
    email: str
    phone: str | None = None
    website: str | None = None
    logo_path: Path | None = Field(default=None, description="PNG/SVG logo; relative to the YAML.")
    iban: str
    bic: str
    sepa_creditor_id: str | None = None
    late_payment_rate: str = Field(
        default="trois fois le taux d'intérêt légal",
        description="Late-payment penalty rate as printed (C. com. art. L441-10).",
    )
    late_payment_rate_en: str = "three times the French legal interest rate"
    early_payment_discount: str | None = Field(
        default=None, description="Early-payment discount terms; None prints 'pas d'escompte'."
    )
    early_payment_discount_en: str | None = None
    recovery_indemnity_eur: Decimal = Decimal(40)
    accent_color: str = "#1f4e79"

    @field_validator("siren")
    @classmethod
    def _siren(cls, value: str) -> str:
        return std_siren.validate(value)

    @field_validator("siret")
    @classmethod
    def _siret(cls, value: str) -> str:
        return std_siret.validate(value)

    @field_validator("vat_number")
    @classmethod
    def _vat(cls, value: str) -> str:
        return "FR" + std_tva.validate(value)

    @field_validator("iban")
    @classmethod
    def _iban(cls, value: str) -> str:
        return std_iban.validate(value)

    @field_validator("bic")
    @classmethod
    def _bic(cls, value: str) -> str:
        return std_bic.validate(value)

    def model_post_init(self, _context: object) -> None:
        if not self.siret.startswith(self.siren):
            raise ValueError("the SIRET must start with the SIREN")

    @property
    def legal_mention(self) -> str:
        """'SAS au capital de 50 000 € – RCS Lyon 123 456 789' (BT-33, printed in the footer)."""
        capital = f"{self.share_capital:,.0f}".replace(",", "\u202f")
        return f"{self.legal_form} au capital de {capital} € – RCS {self.rcs_city} {self.siren}"

    def logo_data_uri(self) -> str | None:
        """The logo inlined as a data URI, so rendering never fetches a file or URL."""
        if self.logo_path is None:
            return None
        data = self.logo_path.read_bytes()
        mime = "image/svg+xml" if self.logo_path.suffix == ".svg" else "image/png"
        return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def load_profile(path: Path) -> CompanyProfile:
    """Read and validate a company profile YAML file; relative logo paths follow the file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationError(
            f"Profil société illisible ({path}) : {exc}",
            f"Unreadable company profile ({path}): {exc}",
        ) from exc
    if raw.get("logo_path"):
        raw["logo_path"] = (path.parent / raw["logo_path"]).resolve()
    try:
        return CompanyProfile.model_validate(raw)
    except ValueError as exc:
        first = str(exc).splitlines()
        detail = "; ".join(first[:3])
        raise ValidationError(
            f"Profil société invalide ({path}) : {detail}",
            f"Invalid company profile ({path}): {detail}",
        ) from exc


class ProfileSettings(BaseSettings):
    """`LIASSE_COMPANY_PROFILE`: path of the issuing company's YAML profile (demo if unset)."""

    model_config = SettingsConfigDict(env_prefix="LIASSE_", extra="ignore")

    company_profile: Path | None = None


def current_profile() -> CompanyProfile:
    """The configured company profile, or the bundled demo profile."""
    path = ProfileSettings().company_profile
    return load_profile(path) if path else demo_profile()


@lru_cache(maxsize=1)
def demo_profile() -> CompanyProfile:
    """The bundled demo company (`documents/profiles/demo.yaml`)."""
    with resources.as_file(resources.files("documents") / "profiles" / "demo.yaml") as path:
        return load_profile(path)
