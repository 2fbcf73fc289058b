"""Documents: rendering (Jinja2 → HTML → PDF/A-3b), Factur-X and postal addresses.

Entry points:

- `documents.facturx.issue.build_facturx(invoice, profile)`: validate (XSD + EN 16931 + BR-FR),
  render and embed an invoice or credit note; raises `FacturXRejected` with the rule ids.
- `documents.facturx.check.check_facturx(pdf_bytes)`: the same checks on any Factur-X PDF.
- `documents.facturx.model`: the generator's input (frozen dataclasses, BT numbers inline).
- `documents.commercial`, `documents.contracts`, `documents.letters`, `documents.labels`:
  order form and acknowledgement, renewal notice, payment reminder, contract with signature
  boxes, form letters with merge fields, Avery label sheets.
- `documents.postal_address.format_address`: NF Z10-011 address lines.
- `documents.profile`: the issuing company's profile (YAML, `LIASSE_COMPANY_PROFILE`).
"""
