"""Imports every model module of every layer so `Base.metadata` is complete (Alembic, tests).

The domain cannot list the signing and mail tables (it imports neither), so the list lives in
the application layer; each package with models adds its module here, one import per line.
"""

import connectors.mail.models  # noqa: F401
import dossiers.archive.models
import dossiers.audit.models
import dossiers.chorus_deposits.models
import dossiers.circuits.versions
import dossiers.customers.models
import dossiers.files.models
import dossiers.invoicing.models
import dossiers.staff.models  # noqa: F401
import signing.otp.models
import signing.sessions.models  # noqa: F401
