"""The German customer's VAT number asked of VIES: checked locally first (python-stdnum), then
through the real SOAP client (zeep) against the bundled fake VIES on a local port."""

from __future__ import annotations

from connectors.chorus_pro.fake import ServerThread
from connectors.vies import VatChecker, VatStatus
from connectors.vies.fake import FakeVies, create_app
from connectors.vies.settings import ViesSettings
from liasse.demo.state import Demo


def check_with_vies(demo: Demo, vat_number: str) -> None:
    app = create_app(FakeVies())
    with ServerThread(app) as server:
        url = server.url + app.state.service_path
        result = VatChecker(settings=ViesSettings(url=url)).check_vat(vat_number[:2], vat_number)
    demo.facts["vies"] = result.status.value
    label = f"{result.country}{result.number}"
    if result.status is VatStatus.VALID:
        demo.ok(f"VIES (faux serveur SOAP {url}) : {label} valide"
                f" ({result.name or 'nom non communiqué par cet État'})",
                f"VIES (fake SOAP server {url}): {label} valid"
                f" ({result.name or 'name not disclosed by this member state'})")
    else:
        demo.refused("VIES :", "VIES:", f"{label} {result.status.value} {result.reason or ''}")
