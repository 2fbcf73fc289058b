"""A fake VIES SOAP server: serves the real WSDL and answers `checkVat` like VIES does."""

from connectors.vies.fake.app import FakeVies, create_app

__all__ = ["FakeVies", "create_app"]
