"""What can go wrong calling a SOAP service, as `LiasseError`s.

`SoapFault` is the service's own answer (its `faultstring` says why: VIES answers
`MS_UNAVAILABLE`, `INVALID_INPUT`...); `SoapUnavailable` means no usable answer came back
(connection refused, timeout, HTTP error without a fault); `SoapProtocolError` means an answer
came back that does not match the WSDL.
"""

from __future__ import annotations

from dossiers.errors import LiasseError


class SoapError(LiasseError):
    """Base of SOAP connector errors; `service` names the service called."""

    def __init__(self, fr: str, en: str, *, service: str) -> None:
        super().__init__(fr, en)
        self.service = service


class SoapFault(SoapError):
    def __init__(self, service: str, faultstring: str, faultcode: str | None = None) -> None:
        super().__init__(
            f"Le service {service} a répondu par une erreur : {faultstring}.",
            f"The {service} service answered with a fault: {faultstring}.",
            service=service,
        )
        self.faultstring = faultstring
        self.faultcode = faultcode


class SoapUnavailable(SoapError):
    def __init__(self, service: str, detail: str, *, timeout: bool = False) -> None:
        super().__init__(
            f"Le service {service} est injoignable ({detail}).",
            f"The {service} service is unreachable ({detail}).",
            service=service,
        )
        self.detail = detail
        self.timeout = timeout


class SoapProtocolError(SoapError):
    def __init__(self, service: str, detail: str) -> None:
        super().__init__(
            f"Réponse du service {service} illisible ({detail}).",
            f"Unreadable answer from the {service} service ({detail}).",
            service=service,
        )
