"""Imports every model module so `Base.metadata` is complete (Alembic, create_all, tests).

Each domain package adds its models module here, one import per line.
"""

import dossiers.audit.models
import dossiers.customers.models
import dossiers.staff.models  # noqa: F401
import dossiers.archive.models  # noqa: F401
import dossiers.invoicing.models  # noqa: F401
import dossiers.circuits.versions  # noqa: F401
import dossiers.files.models  # noqa: F401
import signing.otp.models  # noqa: F401
import signing.sessions.models  # noqa: F401
import dossiers.deposits.models  # noqa: F401
import connectors.mail.models  # noqa: F401
