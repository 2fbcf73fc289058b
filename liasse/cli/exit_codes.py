"""Which exit code a failure gets: the `ExitCode` contract applied to any exception.

The codes and their meanings live in `dossiers.errors.ExitCode` / `EXIT_CODE_MEANINGS`. A
`LiasseError` carries its own `exit_code` (its class or the nearest base class that sets one);
`BY_CLASS` overrides that for classes whose attribute does not say what a script needs (an
unreachable SMTP server is an outage, not "mail error 31"), and classifies the exceptions of
other libraries: click usage errors, database, S3, HTTP and socket failures. Classes are named
by their dotted path, so nothing is imported to classify an error.
"""

from __future__ import annotations

from collections.abc import Iterator

from dossiers.errors import EXIT_CODE_MEANINGS, ExitCode
from dossiers.i18n import current_language

#: Exception class (module.qualname) -> exit code; the first class of the exception's MRO
#: found here wins, before any `exit_code` attribute of a less derived class.
BY_CLASS: dict[str, ExitCode] = {
    # Usage errors, from click and from typer's vendored copy of it.
    "click.exceptions.UsageError": ExitCode.USAGE,
    "typer._click.exceptions.UsageError": ExitCode.USAGE,
    "click.exceptions.Abort": ExitCode.INTERRUPTED,
    "typer.exceptions.Abort": ExitCode.INTERRUPTED,
    "builtins.KeyboardInterrupt": ExitCode.INTERRUPTED,
    # Our own classes whose attribute predates the contract.
    "connectors.sms.base.InvalidPhoneNumber": ExitCode.REFUSED,
    "connectors.sms.base.SmsError": ExitCode.OUTAGE,
    "connectors.mail.base.MailError": ExitCode.OUTAGE,
    "connectors.chorus_pro.errors.ChorusUnavailable": ExitCode.OUTAGE,
    "connectors.chorus_pro.errors.ChorusAmbiguousFailure": ExitCode.OUTAGE,
    "connectors.chorus_pro.errors.ChorusRateLimited": ExitCode.OUTAGE,
    "connectors.soap.errors.SoapError": ExitCode.OUTAGE,
    "dossiers.archive.store.StoreError": ExitCode.OUTAGE,
    "signing.pades.errors.TimestampUnavailable": ExitCode.OUTAGE,
    "application.errors.ActionFailed": ExitCode.REFUSED,
    # Settings that do not validate (pydantic-settings raises pydantic's ValidationError; any
    # other model's is a refusal, see `_own`).
    "pydantic_core._pydantic_core.ValidationError": ExitCode.CONFIG,
    # Databases: a value the database refuses is a refusal; a lost connection an outage.
    "sqlalchemy.exc.DataError": ExitCode.REFUSED,
    "sqlalchemy.exc.IntegrityError": ExitCode.CONFLICT,
    "sqlalchemy.exc.OperationalError": ExitCode.OUTAGE,
    "sqlalchemy.exc.InterfaceError": ExitCode.OUTAGE,
    "sqlalchemy.exc.DisconnectionError": ExitCode.OUTAGE,
    "sqlalchemy.exc.TimeoutError": ExitCode.OUTAGE,
    # S3 (botocore), HTTP clients (httpx: Chorus Pro, Prefect, Twilio; requests: VIES/zeep).
    "botocore.exceptions.BotoCoreError": ExitCode.OUTAGE,
    "botocore.exceptions.ClientError": ExitCode.OUTAGE,
    "httpx.HTTPError": ExitCode.OUTAGE,
    "httpx.StreamError": ExitCode.OUTAGE,
    "requests.exceptions.RequestException": ExitCode.OUTAGE,
    "urllib3.exceptions.HTTPError": ExitCode.OUTAGE,
    # Sockets and SMTP.
    "smtplib.SMTPException": ExitCode.OUTAGE,
    "socket.gaierror": ExitCode.OUTAGE,
    "builtins.ConnectionError": ExitCode.OUTAGE,
    "builtins.TimeoutError": ExitCode.OUTAGE,
}


#: `exit_code` values a `LiasseError` class may still carry from before the contract: 2 was a
#: validation error (2 is click's usage error now), 30 and 31 an SMS or mail provider down.
LEGACY_CODES: dict[int, ExitCode] = {2: ExitCode.REFUSED, 30: ExitCode.OUTAGE,
                                     31: ExitCode.OUTAGE}


def class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


EXIT_CLASSES = {"click.exceptions.Exit", "typer.exceptions.Exit"}
CLICK_EXCEPTIONS = {"click.exceptions.ClickException", "typer._click.exceptions.ClickException"}
PYDANTIC_ERROR = "pydantic_core._pydantic_core.ValidationError"


def _own(exc: BaseException) -> ExitCode | None:
    """The code of this exception alone (not its causes), or None if nothing classifies it."""
    for cls in type(exc).__mro__:
        path = class_path(cls)
        if path in EXIT_CLASSES:  # a command's own `raise typer.Exit(code)`
            return _known(int(getattr(exc, "exit_code", 0)))
        if path == PYDANTIC_ERROR and not is_settings_error(exc):
            return ExitCode.REFUSED  # an input model a command did not translate
        code = BY_CLASS.get(path)
        if code is not None:
            return code
        if "exit_code" in vars(cls) and _is_liasse_error(exc):
            code = int(vars(cls)["exit_code"])
            return _known(LEGACY_CODES.get(code, code))
        if path in CLICK_EXCEPTIONS:
            return ExitCode.FAILURE  # FileError and the like
    return None


def is_settings_error(exc: BaseException) -> bool:
    """pydantic-settings names the failing model after its settings class."""
    return str(getattr(exc, "title", "")).endswith("Settings")


def _is_liasse_error(exc: BaseException) -> bool:
    return any(class_path(c) == "dossiers.errors.LiasseError" for c in type(exc).__mro__)


def _known(code: int) -> ExitCode:
    """An exit code outside the contract would break scripts silently: it is a bug."""
    try:
        return ExitCode(code)
    except ValueError:
        return ExitCode.INTERNAL


def causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, then what caused it (`raise ... from`, or raised while handling)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__)


def exit_code_for(exc: BaseException) -> ExitCode:
    """The contract's code for `exc`. An unclassified exception raised because a service was
    unreachable (an outage somewhere in its causes) is an outage; otherwise a bug: INTERNAL."""
    own = _own(exc)
    if own is not None:
        return own
    for cause in causes(exc):
        if _own(cause) is ExitCode.OUTAGE:
            return ExitCode.OUTAGE
    return ExitCode.INTERNAL


def outage_cause(exc: BaseException) -> BaseException:
    """The exception in the chain that made this an outage (for the message)."""
    for cause in causes(exc):
        if _own(cause) is ExitCode.OUTAGE:
            return cause
    return exc


def table(language: str | None = None) -> list[tuple[int, str]]:
    """(code, meaning) in the given or active language, in code order."""
    english = (language or current_language()) == "en"
    return [(int(code), en if english else fr)
            for code, (fr, en) in sorted(EXIT_CODE_MEANINGS.items())]
