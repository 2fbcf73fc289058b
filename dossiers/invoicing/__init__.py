"""Invoices and credit notes: EN 16931 totals, VAT rules, gapless numbering, immutability.

Pure parts (`vat`, `totals`) import nothing from the database so they can be property-tested;
`models`, `numbering`, `service` and `credit` build on them inside the caller's transaction.
"""
