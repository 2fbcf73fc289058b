"""Building zeep clients from packaged WSDLs and calling them with typed errors.

The WSDL is read from the package (no network fetch at start-up, and the contract under version
control); the service address is taken from the WSDL unless overridden (a test double, a
national mirror). zeep's transport carries the timeouts, for loading and for each operation.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import requests
import zeep
import zeep.exceptions
from zeep.transports import Transport

from connectors.soap.errors import SoapFault, SoapProtocolError, SoapUnavailable


def packaged_wsdl(package: str, name: str) -> Path:
    """The path of a WSDL file shipped inside `package`."""
    return Path(str(resources.files(package).joinpath(name)))


@dataclass(frozen=True)
class SoapEndpoint:
    name: str  # for messages: "VIES"
    wsdl: str | Path  # packaged file path, or a URL
    binding: str  # qualified binding name, e.g. "{urn:...}checkVatBinding"
    address: str | None = None  # overrides the WSDL's soap:address
    timeout: float = 10.0


class SoapService:
    """One SOAP service: a zeep client built lazily, shared by threads (zeep is thread-safe
    for calls once built)."""

    def __init__(self, endpoint: SoapEndpoint, *, session: requests.Session | None = None):
        self.endpoint = endpoint
        self._session = session or requests.Session()
        self._proxy: Any = None
        self._lock = threading.Lock()

    def _service(self) -> Any:
        with self._lock:
            if self._proxy is None:
                transport = Transport(
                    session=self._session,
                    timeout=self.endpoint.timeout,
                    operation_timeout=self.endpoint.timeout,
                )
                try:
                    client = zeep.Client(str(self.endpoint.wsdl), transport=transport)
                except (requests.RequestException, zeep.exceptions.TransportError) as exc:
                    raise self._unavailable(exc) from exc
                address = self.endpoint.address
                self._proxy = (
                    client.create_service(self.endpoint.binding, address)
                    if address
                    else client.service
                )
            return self._proxy

    def _unavailable(self, exc: Exception) -> SoapUnavailable:
        is_timeout = isinstance(exc, requests.Timeout)
        detail = "timeout" if is_timeout else type(exc).__name__
        if isinstance(exc, zeep.exceptions.TransportError):
            detail = f"HTTP {exc.status_code}"
        return SoapUnavailable(self.endpoint.name, detail, timeout=is_timeout)

    def call(self, operation: str, **arguments: Any) -> Any:
        """Call `operation`; SOAP faults and transport failures come back as `SoapError`s."""
        service = self._service()
        try:
            return getattr(service, operation)(**arguments)
        except zeep.exceptions.Fault as fault:
            raise SoapFault(self.endpoint.name, str(fault.message or ""), fault.code) from fault
        except (requests.RequestException, zeep.exceptions.TransportError) as exc:
            raise self._unavailable(exc) from exc
        except (zeep.exceptions.XMLSyntaxError, zeep.exceptions.ValidationError) as exc:
            raise SoapProtocolError(self.endpoint.name, str(exc)) from exc
