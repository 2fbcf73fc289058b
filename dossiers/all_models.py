"""Imports every model module so `Base.metadata` is complete (Alembic, create_all, tests).

Each domain package adds its models module here, one import per line.
"""

import connectors.mail.models  # noqa: F401
import dossiers.archive.models
import dossiers.audit.models
import dossiers.circuits.versions
import dossiers.customers.models
import dossiers.deposits.models
import dossiers.files.models
import dossiers.invoicing.models
import dossiers.staff.models  # noqa: F401
import signing.otp.models
import signing.sessions.models  # noqa: F401
