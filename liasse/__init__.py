"""Liasse: customer-file workflows, Factur-X invoicing, signing, archive and Chorus Pro deposit.

This package holds what every layer shares and what starts the product: settings and the CLI.
The business lives in `dossiers` (domain), `documents`, `signing`, `connectors`, `flows`, `portal`.
"""

__version__ = "0.1.0"
