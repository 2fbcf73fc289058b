"""Invoices and credit notes: EN 16931 totals, VAT rules, gapless numbering, immutability.

Pure parts (`vat`, `totals`) import nothing from the database so they can be property-tested;
`models`, `numbering`, `service` and `credit` build on them inside the caller's transaction.
"""

# The immutability guard listens on every Session; importing the package registers it, so no
# code path can load an `Invoice` without it (the models themselves do not import it: the guard
# builds on the models, not the other way round).
from dossiers.invoicing import immutability as _immutability  # noqa: F401
