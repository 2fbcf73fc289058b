"""Staff passwords (`dossiers.staff.credentials`): argon2id hashes, the lock-out after the SMS
codes' number of wrong tries, its lifting (time, a new password, an admin), and the CLI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.audit.models import AuditEvent
from dossiers.db import transaction, utcnow
from dossiers.errors import ValidationError
from dossiers.staff.credentials import (
    LockoutPolicy,
    authenticate,
    credential_of,
    set_password,
    unlock,
)
from dossiers.staff.models import StaffCredential
from dossiers.staff.service import create_staff_user, get_staff
from signing.otp.policy import OtpPolicy
from signing.settings import SigningSettings

GOOD = "une phrase assez longue"
POLICY = LockoutPolicy(max_attempts=OtpPolicy().max_attempts, lock_for=timedelta(minutes=15))


@pytest.fixture
def olga(db: sessionmaker[Session]) -> str:
    with transaction(db) as s:
        create_staff_user(s, {"login": "olga", "full_name": "Olga", "roles": ["order_desk"],
                              "email": "olga@liasse-editions.fr"})
        set_password(s, "olga", GOOD, actor="test")
    return "olga"


def _try(db: sessionmaker[Session], password: str, at=None):  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        attempt = authenticate(s, "olga", password, policy=POLICY, at=at)
        return attempt.ok, attempt.locked_until


def test_the_hash_is_argon2id_and_never_the_password(db: sessionmaker[Session], olga: str
                                                     ) -> None:
    with db() as s:
        stored = credential_of(s, get_staff(s, olga))
        assert stored is not None
        assert stored.password_hash.startswith("$argon2id$")
        assert GOOD not in stored.password_hash
    assert _try(db, GOOD)[0] is True


def test_lockout_uses_the_sms_codes_number_of_tries() -> None:
    assert POLICY.max_attempts == OtpPolicy().max_attempts == SigningSettings().otp_max_attempts


def test_five_wrong_passwords_lock_even_the_right_one_out(db: sessionmaker[Session],
                                                          olga: str) -> None:
    now = utcnow()
    for _ in range(POLICY.max_attempts - 1):
        assert _try(db, "wrong guess", now) == (False, None)
    ok, locked_until = _try(db, "wrong guess", now)
    assert not ok and locked_until == now + POLICY.lock_for
    assert _try(db, GOOD, now + timedelta(minutes=1))[0] is False  # right password, still locked
    with db() as s:
        events = s.scalars(select(AuditEvent.action).where(
            AuditEvent.action == "staff.locked_out")).all()
    assert events == ["staff.locked_out"]
    # The lock lifts by itself after its period, with a fresh series of tries.
    assert _try(db, GOOD, now + POLICY.lock_for + timedelta(seconds=1))[0] is True


def test_a_success_resets_the_count(db: sessionmaker[Session], olga: str) -> None:
    for _ in range(POLICY.max_attempts - 1):
        _try(db, "wrong")
    assert _try(db, GOOD)[0] is True
    for _ in range(POLICY.max_attempts - 1):
        assert _try(db, "wrong") == (False, None)


@pytest.mark.parametrize("how", ["new password", "admin unlock"])
def test_an_admin_lifts_the_lock(db: sessionmaker[Session], olga: str, how: str) -> None:
    for _ in range(POLICY.max_attempts):
        _try(db, "wrong")
    assert _try(db, GOOD)[0] is False
    with transaction(db) as s:
        if how == "admin unlock":
            unlock(s, olga, actor="admin")
        else:
            set_password(s, olga, "une autre phrase longue", actor="admin")
    assert _try(db, GOOD if how == "admin unlock" else "une autre phrase longue")[0] is True


def test_unknown_logins_and_users_without_password_are_refused_alike(
        db: sessionmaker[Session], olga: str) -> None:
    with transaction(db) as s:
        create_staff_user(s, {"login": "nopw", "full_name": "No", "roles": ["billing"],
                              "email": "nopw@liasse-editions.fr"})
    with transaction(db) as s:
        for login in ("nobody", "nopw"):
            attempt = authenticate(s, login, GOOD, policy=POLICY)
            assert not attempt.ok and attempt.locked_until is None


@pytest.mark.parametrize("password", ["court", "olga", "x" * 300])
def test_password_rules(db: sessionmaker[Session], olga: str, password: str) -> None:
    with transaction(db) as s, pytest.raises(ValidationError):
        set_password(s, olga, password.ljust(12) if password == "olga" else password,
                     actor="test")


def _cli(cli, *args: str, input: str):  # type: ignore[no-untyped-def]
    """The shared `cli` fixture's runner, with standard input."""
    from liasse.cli.main import root

    result = cli._runner.invoke(root, ["--lang", "fr", *args], input=input)
    result.text = " ".join(result.output.split())
    return result


def test_cli_staff_password_sets_it_and_unlocks(cli, db: sessionmaker[Session]) -> None:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        create_staff_user(s, {"login": "bill", "full_name": "Bill", "roles": ["billing"],
                              "email": "bill@liasse-editions.fr"})
    result = _cli(cli, "staff", "password", "bill", "--stdin", input=f"{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert "bill : mot de passe enregistré." in result.text
    with transaction(db) as s:
        assert authenticate(s, "bill", GOOD, policy=POLICY).ok
        s.execute(StaffCredential.__table__.update().values(locked_until=utcnow()
                                                             + timedelta(hours=1)))
    assert _cli(cli, "staff", "password", "bill", "--stdin", input=f"{GOOD}\n").exit_code == 0
    with transaction(db) as s:
        assert authenticate(s, "bill", GOOD, policy=POLICY).ok
    short = _cli(cli, "staff", "password", "bill", "--stdin", input="court\n")
    assert short.exit_code != 0 and "trop court" in str(short.exception)
