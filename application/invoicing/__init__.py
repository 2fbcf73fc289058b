"""Invoicing as the application does it: `posting` (the pipeline every caller goes through),
`issuing` (the VIES and Factur-X gates before commit), `facturx_mapping` (domain <-> Factur-X)."""
