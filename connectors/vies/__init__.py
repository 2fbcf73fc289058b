"""VAT-number check with the European Commission's VIES SOAP service (`checkVatService`).

`VatChecker.check_vat(country, number)` answers `valid`, `invalid` or `unverified` (VIES or the
member state is down: a clear "could not verify", never a block). The WSDL ships in this package.
"""

from connectors.vies.service import VatChecker, VatCheckResult, VatStatus, vies_endpoint

__all__ = ["VatCheckResult", "VatChecker", "VatStatus", "vies_endpoint"]
