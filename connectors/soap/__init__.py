"""A small reusable SOAP layer over zeep: packaged WSDLs, overridable addresses, typed faults.

Adding a SOAP service: ship its WSDL in the connector's package, describe it with a
`SoapEndpoint` (WSDL, binding, optional address override, timeout), and call operations through
`SoapService.call`, which turns SOAP faults and transport failures into `SoapFault`,
`SoapUnavailable` (timeouts included) and `SoapProtocolError`.
"""

from connectors.soap.client import SoapEndpoint, SoapService, packaged_wsdl
from connectors.soap.errors import SoapError, SoapFault, SoapProtocolError, SoapUnavailable

__all__ = [
    "SoapEndpoint",
    "SoapError",
    "SoapFault",
    "SoapProtocolError",
    "SoapService",
    "SoapUnavailable",
    "packaged_wsdl",
]
