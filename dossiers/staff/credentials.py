"""Staff passwords for the portal: argon2id hashes, sign-in attempts and lock-out.

The lock-out follows the SMS codes' rule (`signing.otp.policy.OtpPolicy.max_attempts`, 5 by
default; the portal passes `LIASSE_OTP_MAX_ATTEMPTS`): after that many wrong passwords in a row
the account is locked for `LockoutPolicy.lock_for`; a correct password while locked is refused
too. The lock lifts by itself after that period, or at once when an administrator sets a new
password (`liasse staff password LOGIN`) or calls `unlock`.

`authenticate` never raises for a wrong password: it returns a `SignInAttempt` so the caller
commits the counters it changed (a rollback would forget the failure and defeat the lock).
Unknown logins and users without a password cost the same argon2 verification as real ones,
and get the same answer, so the sign-in page does not tell which logins exist.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dossiers.audit import record
from dossiers.db import utcnow
from dossiers.errors import ValidationError
from dossiers.staff.models import StaffCredential, StaffUser
from dossiers.staff.service import get_staff

MIN_LENGTH = 12
MAX_LENGTH = 256


@dataclass(frozen=True)
class LockoutPolicy:
    max_attempts: int = 5
    lock_for: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class SignInAttempt:
    """What one sign-in attempt gave: the user (success), or why not."""

    user: StaffUser | None
    locked_until: datetime | None = None
    just_locked: bool = False

    @property
    def ok(self) -> bool:
        return self.user is not None


@cache
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


@cache
def _dummy_hash() -> str:
    """A real hash of nothing anyone types: verifying against it costs what a real check does."""
    return _hasher().hash("liasse: no such account")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password_rules(password: str, login: str) -> None:
    """NIST SP 800-63B: a long enough passphrase, any characters, no composition rules."""
    if len(password) < MIN_LENGTH:
        raise ValidationError(
            f"Mot de passe trop court : {MIN_LENGTH} caractères au moins.",
            f"Password too short: at least {MIN_LENGTH} characters.",
        )
    if len(password) > MAX_LENGTH:
        raise ValidationError(
            f"Mot de passe trop long : {MAX_LENGTH} caractères au plus.",
            f"Password too long: at most {MAX_LENGTH} characters.",
        )
    if password.strip().lower() == login.lower():
        raise ValidationError("Le mot de passe ne peut pas être l'identifiant.",
                              "The password cannot be the login.")


def credential_of(session: Session, user: StaffUser) -> StaffCredential | None:
    return session.get(StaffCredential, user.id)


def credential_stamp(credential: StaffCredential) -> str:
    """A short fingerprint of the current password: a session remembers it, so setting a new
    password ends every session opened with the old one."""
    return hashlib.sha256(credential.password_hash.encode()).hexdigest()[:16]


def set_password(session: Session, login: str, password: str, *, actor: str,
                 at: datetime | None = None) -> StaffUser:
    """Set (or reset) a user's password; it also lifts a lock-out."""
    at = at or utcnow()
    user = get_staff(session, login)
    check_password_rules(password, user.login)
    credential = credential_of(session, user)
    if credential is None:
        credential = StaffCredential(user_id=user.id, password_hash="")
        session.add(credential)
    credential.password_hash = hash_password(password)
    credential.changed_at = at
    credential.failed_attempts = 0
    credential.locked_until = None
    credential.last_failed_at = None
    session.flush()
    record(session, "staff.password_set", subject_type="staff_user", subject_id=user.id,
           actor=actor, at=at, data={"login": user.login})
    return user


def authenticate(session: Session, login: str, password: str, *, policy: LockoutPolicy,
                 at: datetime | None = None) -> SignInAttempt:
    """Check a password; counts failures and locks the account at `policy.max_attempts`."""
    at = at or utcnow()
    user = session.scalars(
        select(StaffUser).where(StaffUser.login == login.strip().lower())
    ).one_or_none()
    credential = credential_of(session, user) if user is not None and user.active else None
    if credential is None:
        _hasher().verify(password, _dummy_hash())
        return SignInAttempt(None)
    if credential.locked_until is not None:
        if credential.locked_until > at:
            return SignInAttempt(None, locked_until=credential.locked_until)
        credential.locked_until = None  # the lock lifted by itself: a fresh series of tries
        credential.failed_attempts = 0
    valid, new_hash = _hasher().verify_and_update(password, credential.password_hash)
    if not valid:
        return _failed(session, user, credential, policy, at)
    if new_hash is not None:  # parameters got stronger since: re-hash with today's
        credential.password_hash = new_hash
    credential.failed_attempts = 0
    credential.last_failed_at = None
    credential.last_sign_in_at = at
    session.flush()
    return SignInAttempt(user)


def _failed(session: Session, user: StaffUser, credential: StaffCredential,
            policy: LockoutPolicy, at: datetime) -> SignInAttempt:
    # One UPDATE adds the failure, so concurrent wrong guesses all count.
    session.flush()
    session.execute(
        update(StaffCredential)
        .where(StaffCredential.user_id == credential.user_id)
        .values(failed_attempts=StaffCredential.failed_attempts + 1, last_failed_at=at)
    )
    session.refresh(credential)
    if credential.failed_attempts < policy.max_attempts:
        return SignInAttempt(None)
    credential.locked_until = at + policy.lock_for
    session.flush()
    record(session, "staff.locked_out", subject_type="staff_user", subject_id=user.id,
           actor="system:portal", at=at,
           data={"login": user.login, "failed_attempts": credential.failed_attempts,
                 "locked_until": credential.locked_until.isoformat()})
    return SignInAttempt(None, locked_until=credential.locked_until, just_locked=True)


def change_password(session: Session, login: str, current: str, new: str, *,
                    policy: LockoutPolicy, at: datetime | None = None) -> SignInAttempt:
    """A signed-in user changes their own password: the current one is checked like a
    sign-in (a wrong one counts towards the lock-out). Returns the check's attempt; on
    success the new password is set."""
    user = get_staff(session, login)
    check_password_rules(new, user.login)
    attempt = authenticate(session, user.login, current, policy=policy, at=at)
    if attempt.ok:
        set_password(session, user.login, new, actor=user.login, at=at)
    return attempt


def unlock(session: Session, login: str, *, actor: str, at: datetime | None = None) -> StaffUser:
    """Lift a lock-out now (an administrator)."""
    user = get_staff(session, login)
    credential = credential_of(session, user)
    if credential is not None:
        credential.failed_attempts = 0
        credential.locked_until = None
        session.flush()
    record(session, "staff.unlocked", subject_type="staff_user", subject_id=user.id,
           actor=actor, at=at, data={"login": user.login})
    return user
