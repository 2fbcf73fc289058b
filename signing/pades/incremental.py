"""One PAdES signature as one incremental update: the single place that calls pyHanko's signer.

Every signature Liasse makes (signer, seal) goes through `sign_incrementally`, so SubFilter,
digest, timestamp and revocation-info embedding are decided once: SubFilter is always
`ETSI.CAdES.detached` (pyHanko's default is the older `adbe.pkcs7.detached`), earlier revisions
are never rewritten, so earlier signatures stay valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from lxml import etree
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.timestamps import TimestampRequestError
from pyhanko.stamp import TextStampStyle

from signing.pades.errors import NotAPdf, PadesError, TimestampUnavailable
from signing.pades.profile import PadesProfile

# pyHanko re-serialises the XMP packet (with lxml) on every incremental update. A namespace lxml
# does not know comes back as `ns0:`, which breaks PDF/A-3 (a property's prefix must be the one
# its extension schema declares) and so the Factur-X container check of every sealed invoice.
etree.register_namespace("fx", "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#")

# Room for the CMS blob. Without it pyHanko signs twice to measure the size (and asks the TSA
# twice); 16 KiB holds a P-256/RSA chain of a few certificates plus a timestamp token.
RESERVED_BYTES = 16 * 1024

# B-LT in one revision: the revocation data gathered before signing goes into the DSS of the very
# revision the signature covers (no VRI, which would need the signature first), and at B-LTA the
# document timestamp's own DSS update comes before it. So the last signature or timestamp covers
# every byte of the file: no unsigned DSS revision trails it (`pdfsig`: "Total document signed").
SINGLE_REVISION_DSS = DSSContentSettings(
    placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False
)

STAMP_STYLE = TextStampStyle(
    stamp_text="Signature electronique\n%(signer)s\n%(ts)s",
    timestamp_format="%Y-%m-%d %H:%M:%S UTC",
    border_width=1,
)


@dataclass(frozen=True)
class SignatureRequest:
    """What to write into the signature dictionary besides the CMS blob."""

    field_name: str
    reason: str
    name: str | None = None
    location: str | None = None
    contact_info: str | None = None


def open_incremental(pdf_bytes: bytes) -> IncrementalPdfFileWriter:
    try:
        return IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    except (PdfError, ValueError, KeyError, IndexError) as exc:
        raise NotAPdf(
            "Le fichier n'est pas un PDF lisible.", "The file is not a readable PDF."
        ) from exc


def sign_incrementally(
    pdf_bytes: bytes,
    signer: signers.Signer,
    profile: PadesProfile,
    request: SignatureRequest,
    *,
    new_field: fields.SigFieldSpec | None = None,
) -> bytes:
    """Sign the field `request.field_name` (existing, or `new_field`); return the new PDF."""
    writer = open_incremental(pdf_bytes)
    meta = signers.PdfSignatureMetadata(
        field_name=request.field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=request.reason,
        name=request.name,
        location=request.location,
        contact_info=request.contact_info,
        embed_validation_info=profile.level.embeds_revocation_info,
        validation_context=profile.signing_validation_context(),
        use_pades_lta=profile.level.name == "B_LTA",
        dss_settings=SINGLE_REVISION_DSS,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        timestamper=profile.timestamper if profile.level.needs_timestamp else None,
        stamp_style=STAMP_STYLE,
        new_field_spec=new_field,
    )
    try:
        try:
            out = _sign(pdf_signer, writer, RESERVED_BYTES)
        except PyHankoSigningError as exc:
            if "larger than expected" not in str(exc):
                raise
            # a CMS bigger than the reservation (long chain): let pyHanko measure it first
            out = _sign(pdf_signer, open_incremental(pdf_bytes), None)
    except TimestampRequestError as exc:
        raise TimestampUnavailable(
            f"L'autorité d'horodatage n'a pas répondu : {exc}.",
            f"The time-stamping authority did not answer: {exc}.",
        ) from exc
    except (PyHankoSigningError, PdfError) as exc:
        raise PadesError(
            f"La signature du PDF a échoué : {exc}.", f"Signing the PDF failed: {exc}."
        ) from exc
    return out.getvalue()


def _sign(
    pdf_signer: signers.PdfSigner, writer: IncrementalPdfFileWriter, reserved: int | None
) -> BytesIO:
    out = BytesIO()
    pdf_signer.sign_pdf(writer, bytes_reserved=reserved, output=out)
    return out


def add_empty_signature_fields(pdf_bytes: bytes, specs: list[fields.SigFieldSpec]) -> bytes:
    """Prepare a document: visible, empty signature fields that signers fill in later."""
    writer = open_incremental(pdf_bytes)
    for spec in specs:
        fields.append_signature_field(writer, spec)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
