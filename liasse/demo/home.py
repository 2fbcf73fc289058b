"""Where a demo run lives: a fresh folder, and the embedded defaults pointed at it.

Every run gets its own folder (`var/demo/<YYYYmmdd-HHMMSS>/` unless `LIASSE_HOME` says where),
so a run never mixes with another run's data. The demo shows the product on its embedded
defaults only — SQLite file, local write-once archive, `.eml` outbox, in-process fakes — so it
sets `LIASSE_HOME` for this process and drops every other `LIASSE_*` setting (a database URL,
an SMTP host, real Twilio or Chorus Pro credentials would send the demo's data elsewhere).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from dossiers.errors import ConflictError

#: Settings a demo run keeps from the environment; every other `LIASSE_*` one is dropped.
KEPT_SETTINGS = frozenset({"LIASSE_HOME", "LIASSE_LANGUAGE"})
DATABASE_FILE = "liasse.db"


class HomeNotEmpty(ConflictError):
    """The folder given in `LIASSE_HOME` already holds a Liasse database."""


def choose_home(now: datetime | None = None, base: Path | None = None) -> Path:
    """`LIASSE_HOME` when set (refused if it already holds a database), else a fresh folder."""
    explicit = os.environ.get("LIASSE_HOME")
    if explicit:
        home = Path(explicit)
        if (home / DATABASE_FILE).exists():
            raise HomeNotEmpty(
                f"{home} contient déjà une base Liasse ({DATABASE_FILE}) : la démo a besoin "
                "d'un dossier neuf (videz-le ou changez LIASSE_HOME).",
                f"{home} already holds a Liasse database ({DATABASE_FILE}): the demo needs a "
                "fresh folder (empty it or change LIASSE_HOME).",
            )
        return home
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    root = (base or Path.cwd()) / "var" / "demo"
    home, n = root / stamp, 1
    while home.exists():  # two runs in the same second
        n += 1
        home = root / f"{stamp}-{n}"
    return home


def use_embedded_defaults(home: Path) -> list[str]:
    """Point this process's settings at `home`; returns the names of the settings dropped.

    The caller forgets what it built from the old settings
    (`liasse.cli.environment.clear_caches`)."""
    dropped = sorted(k for k in os.environ if k.startswith("LIASSE_") and k not in KEPT_SETTINGS)
    for name in dropped:
        del os.environ[name]
    home.mkdir(parents=True, exist_ok=True)
    os.environ["LIASSE_HOME"] = str(home.resolve())
    return dropped
