"""Entry point: builds the command tree and turns every failure into one clear line.

No failure prints a traceback. Each exits with its code of the contract (`dossiers.errors.
ExitCode`, classified by `liasse.cli.exit_codes`, listed by `liasse --help` and README.md):

- expected errors (`LiasseError`): `Erreur : <message>`;
- usage errors (click's and typer's vendored click): what is wrong and where the help is;
- a database, S3, SMTP or HTTP service that cannot be reached: one line naming it (outage);
- settings that do not validate: the variable and why (configuration);
- anything else is a bug: one line "internal error" saying where the traceback was written
  (`<LIASSE_HOME>/logs/`); `LIASSE_DEBUG=1` also prints it.

Messages are in the user's language, known before the command line is parsed (`--lang`, else
`LIASSE_LANGUAGE`).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import pkgutil
import re
import sys
import tempfile
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import typer
from typer import _click as typer_click
from typer.core import TyperGroup

import liasse.cli as cli_package
from dossiers.errors import ConfigurationError, ExitCode, LiasseError
from dossiers.i18n import LANGUAGES, current_language, set_language, tr
from dossiers.input_validation import pydantic_reason
from liasse.cli import exit_codes
from liasse.cli.environment import err_console, settings

#: Modules of `liasse/cli/` that are not commands.
NOT_COMMANDS = {"main", "environment", "exit_codes"}


class _LazyGroup(TyperGroup):
    """Sub-commands are imported only when used, so `liasse files show` does not pay for
    WeasyPrint, pyHanko and Prefect imports. `liasse --help` still lists them all."""

    def list_commands(self, ctx: typer_click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_command_modules()))

    def get_command(self, ctx: typer_click.Context, cmd_name: str
                    ) -> typer_click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in _command_modules():
            command = _load_command(cmd_name)
        return command


def _command_modules() -> list[str]:
    return [
        info.name
        for info in pkgutil.iter_modules(cli_package.__path__)
        if info.name not in NOT_COMMANDS and not info.name.startswith("_")
    ]


def _load_command(name: str) -> typer_click.Command | None:
    """A module defines `app` (a Typer sub-app) or `register(root)` (top-level commands)."""
    module = importlib.import_module(f"liasse.cli.{name}")
    if hasattr(module, "app"):
        command = typer.main.get_command(module.app)
    else:
        holder = typer.Typer(add_completion=False)
        module.register(holder)
        command = typer.main.get_command(holder)
        if isinstance(command, TyperGroup):
            command = command.get_command(typer_click.Context(command), name)
    if command is not None:
        command.name = name
    return command


root = typer.Typer(
    name="liasse",
    cls=_LazyGroup,
    help="Liasse: customer files, invoices, signatures, archive, Chorus Pro.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def epilog() -> str:
    """The exit-code contract, for `liasse --help` (in the active language)."""
    rows = "\n".join(f"{code:>4}  {meaning}" for code, meaning in exit_codes.table())
    return f"{tr('Codes de sortie :', 'Exit codes:')}\n\n{rows}"


@root.callback()
def _main(
    lang: str = typer.Option(None, "--lang", help="fr (default) or en"),
) -> None:
    if lang is not None and lang not in LANGUAGES:
        raise typer.BadParameter(
            tr(f"langue « {lang} » inconnue ; choix : {', '.join(LANGUAGES)}",
               f"unknown language '{lang}'; choices: {', '.join(LANGUAGES)}"),
            param_hint="--lang")
    set_language(lang or _settings_language())


def _settings_language() -> str:
    language = settings().language
    if language not in LANGUAGES:
        raise ConfigurationError(
            f"LIASSE_LANGUAGE={language} : langue inconnue ; choix : {', '.join(LANGUAGES)}.",
            f"LIASSE_LANGUAGE={language}: unknown language; choices: {', '.join(LANGUAGES)}.")
    return language


def _early_language(args: Sequence[str]) -> None:
    """The language of the messages, before the command line is parsed (a usage error is
    raised before the root callback runs): `--lang xx` if valid, else the settings'."""
    wanted: str | None = None
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and index + 1 < len(args):
            wanted = args[index + 1]
        elif arg.startswith("--lang="):
            wanted = arg.partition("=")[2]
    if wanted not in LANGUAGES:
        try:
            wanted = settings().language
        except Exception:  # reported when the command runs
            wanted = None
    set_language(wanted if wanted in LANGUAGES else "fr")


class _HomeLog(logging.Handler):
    """Warnings logged by the libraries go to `<LIASSE_HOME>/logs/liasse.log` (the home of the
    moment), not to stderr where they would break the one-line contract; `LIASSE_DEBUG=1` also
    prints them."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s").format(
                record)
            if _debug():
                print(line, file=sys.stderr)
            folder = _log_folders()[0]
            folder.mkdir(parents=True, exist_ok=True)
            with (folder / "liasse.log").open("a", encoding="utf-8") as log:
                log.write(line + "\n")
        except Exception:  # logging must never be what fails a command
            self.handleError(record)


def _route_logs() -> None:
    root_logger = logging.getLogger()
    if not any(isinstance(h, _HomeLog) for h in root_logger.handlers):
        root_logger.addHandler(_HomeLog(logging.WARNING))


def _debug() -> bool:
    return os.environ.get("LIASSE_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}


def run(args: Sequence[str] | None = None) -> int:
    """Run one command line; returns its exit code instead of exiting (tests, the demo)."""
    argv = list(sys.argv[1:] if args is None else args)
    _route_logs()
    _early_language(argv)
    root.info.epilog = epilog()
    try:
        result = root(args=argv, prog_name="liasse", standalone_mode=False)
    except SystemExit as exc:  # a library calling sys.exit: keep its code
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException as exc:  # every failure is reported, none re-raised
        return report(exc)
    # `standalone_mode=False` returns the code of a `typer.Exit` / `ctx.exit(code)`.
    if isinstance(result, int) and not isinstance(result, bool):
        return int(exit_codes.exit_code_for(typer.Exit(result)))
    return int(ExitCode.OK)


def app() -> None:
    """The `liasse` console script."""
    sys.exit(run())


def _line(text: str) -> None:
    err_console.print(text, highlight=False, markup=False)


def report(exc: BaseException) -> int:
    """Print what went wrong in one line (the user's language) and give the exit code."""
    code = exit_codes.exit_code_for(exc)
    error = tr("Erreur", "Error")
    if code is ExitCode.OUTAGE:
        _line(f"{error} : {outage_message(exit_codes.outage_cause(exc))}")
    elif code is ExitCode.USAGE and _is(exc, "UsageError"):
        if _is(exc, "NoArgsIsHelpError"):  # `liasse customers`: the help, as click does
            text = exc.ctx.get_help() if exc.ctx else ""  # typer's rich help prints itself
            if text.strip():
                err_console.print(text, highlight=False, markup=False)
        else:
            _line(f"{tr('Erreur d’utilisation', 'Usage error')} : {usage_message(exc)}")
    elif code is ExitCode.INTERRUPTED:
        _line(tr("Interrompu.", "Interrupted."))
    elif isinstance(exc, LiasseError):
        err_console.print(f"[bold red]{error} :[/] {exc.message}", highlight=False)
    elif code is ExitCode.CONFIG:
        _line(f"{error} : {settings_message(exc)}")
    elif code is ExitCode.REFUSED and type(exc).__name__ == "ValidationError":
        _line(f"{error} : {pydantic_message(exc)}")
    elif code is ExitCode.REFUSED or code is ExitCode.CONFLICT:  # the database refused
        _line(f"{error} : {database_refusal(exc, conflict=code is ExitCode.CONFLICT)}")
    elif _is(exc, "ClickException"):
        _line(f"{error} : {exc.format_message()}")  # type: ignore[attr-defined]
    else:
        code = ExitCode.INTERNAL
        _line(f"{tr('Erreur interne', 'Internal error')} ({type(exc).__name__}) : "
              f"{where_the_details_are(exc)}")
    return int(code)


def _is(exc: BaseException, name: str) -> bool:
    """`exc` is click's or typer's (vendored click) exception class `name`."""
    classes = [getattr(module, name, None)
               for module in (click.exceptions, typer_click.exceptions)]
    return isinstance(exc, tuple(c for c in classes if isinstance(c, type)))


# Usage errors ---------------------------------------------------------------------------------


def _param_name(param: Any, hint: Any = None) -> str:
    if hint:
        return hint if isinstance(hint, str) else " / ".join(hint)
    if param is None:
        return "?"
    if getattr(param, "param_type_name", "") == "option":
        return " / ".join(param.opts) or str(param.name)
    return str(getattr(param, "display_name_raw", None) or param.name).upper()


_PATH_PROBLEMS = (
    (r"(\w+) (.+) does not exist\.?$", "n'existe pas", "does not exist"),
    (r"(\w+) (.+) is a directory\.?$", "est un dossier", "is a directory"),
    (r"(\w+) (.+) is a file\.?$", "est un fichier", "is a file"),
    (r"(\w+) (.+) is not readable\.?$", "n'est pas lisible", "is not readable"),
    (r"(\w+) (.+) is not writable\.?$", "n'est pas modifiable", "is not writable"),
)
_PATH_WORDS = {"file": "fichier", "directory": "dossier", "path": "chemin"}


def _bad_value(exc: Any) -> str:
    """Why a value was refused: typer checks values with pydantic (translated here)."""
    cause = exc.__cause__
    if type(cause).__name__ == "ValidationError" and hasattr(cause, "errors"):
        first = cause.errors()[0]
        fr, en = pydantic_reason(first)
        choices = re.search(r"is not one of (.+?)\.?$", str((first.get("ctx") or {}).get(
            "error", "")))
        if choices:  # typer's own check of an enum option
            fr, en = (f"valeur non permise (choix : {choices.group(1)})",
                      f"value not allowed (choices: {choices.group(1)})")
        given = first.get("input")
        shown = f" (« {given} »)" if current_language() == "fr" else f" ('{given}')"
        return tr(fr, en) + (shown if isinstance(given, str | int | float) else "")
    message = str(exc.message)
    for pattern, fr, en in _PATH_PROBLEMS:
        match = re.match(pattern, message, re.IGNORECASE)
        if match:
            kind, path = match.group(1).lower(), match.group(2).strip("'\"")
            return tr(f"{_PATH_WORDS.get(kind, kind)} « {path} » {fr}", f"{kind} '{path}' {en}")
    return message.rstrip(".")


def usage_message(exc: Any) -> str:
    """A click usage error as one sentence in the user's language, with the help command."""
    message = str(getattr(exc, "message", "") or "")
    if _is(exc, "NoSuchOption"):
        text = tr(f"option inconnue : {exc.option_name}", f"no such option: {exc.option_name}")
        if exc.possibilities:
            maybe = ", ".join(sorted(exc.possibilities))
            text += tr(f" (vouliez-vous dire {maybe} ?)", f" (did you mean {maybe}?)")
    elif _is(exc, "MissingParameter"):
        name = _param_name(exc.param, exc.param_hint)
        if getattr(exc.param, "param_type_name", "") == "option":
            text = tr(f"option obligatoire manquante : {name}", f"missing option: {name}")
        else:
            text = tr(f"argument obligatoire manquant : {name}", f"missing argument: {name}")
    elif _is(exc, "BadParameter"):
        name = _param_name(exc.param, exc.param_hint)
        text = tr(f"valeur invalide pour {name} : {_bad_value(exc)}",
                  f"invalid value for {name}: {_bad_value(exc)}")
    elif match := re.match(r"Option '(.+)' requires (an argument|\d+ arguments)", message):
        text = tr(f"l'option {match.group(1)} attend une valeur",
                  f"option {match.group(1)} needs a value")
    elif match := re.match(r"Option '(.+)' does not take a value", message):
        text = tr(f"l'option {match.group(1)} ne prend pas de valeur",
                  f"option {match.group(1)} does not take a value")
    elif match := re.match(r"No such command '(.+)'", message):
        text = tr(f"commande inconnue : {match.group(1)}", f"no such command: {match.group(1)}")
    elif message.startswith("Missing command"):
        text = tr("commande manquante", "missing command")
    elif match := re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", message):
        text = tr(f"argument(s) en trop : {match.group(1)}",
                  f"unexpected extra argument(s): {match.group(1)}")
    elif exc.__cause__ is not None and type(exc.__cause__).__name__ == "ValidationError":
        text = tr("valeur invalide : ", "invalid value: ") + _bad_value(exc)
    else:
        text = message.rstrip(".")
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "liasse"
    return f"{text}. {tr('Aide :', 'Help:')} {command} --help"


# Outages, configuration, database refusals ----------------------------------------------------


def _first_line(value: object) -> str:
    text = str(value).strip()
    return (text.splitlines() or [""])[0].strip()


def outage_message(exc: BaseException) -> str:
    """Which service could not be reached, why in a few words, and that it is worth a retry."""
    module = type(exc).__module__.split(".")[0]
    if isinstance(exc, LiasseError):
        return exc.message
    if module == "sqlalchemy":
        orig = getattr(exc, "orig", None)
        what, detail = tr("base de données", "database"), _first_line(orig or exc)
        url = _database_place()
        if url:
            what += f" {url}"
    elif module == "botocore":
        what, detail = tr("stockage S3 de l'archive", "archive S3 storage"), _first_line(exc)
    elif module == "httpx":
        what, detail = tr("service HTTP", "HTTP service"), _first_line(exc)
        with contextlib.suppress(AttributeError, RuntimeError):
            what += f" {exc.request.url.copy_with(query=None)}"  # type: ignore[attr-defined]
    elif module in {"requests", "urllib3"}:
        what, detail = tr("service web", "web service"), _first_line(exc)
    elif module == "smtplib":
        what, detail = tr("serveur SMTP", "SMTP server"), _first_line(exc)
    else:
        what, detail = tr("réseau", "network"), _first_line(exc) or type(exc).__name__
    return tr(f"{what} injoignable ({detail}). Rien n'a été fait ; réessayez plus tard.",
              f"{what} unreachable ({detail}). Nothing was done; try again later.")


def _database_place() -> str:
    """host:port/database of the configured database (never its password), or ''."""
    try:
        from sqlalchemy.engine import make_url

        url = make_url(settings().resolved_database_url)
    except Exception:
        return ""
    if url.host:
        return f"{url.host}:{url.port or ''}/{url.database or ''}".replace(":/", "/")
    return str(url.database or "")


def settings_message(exc: BaseException) -> str:
    """A `LIASSE_*` variable that does not validate: its name and why."""
    errors = exc.errors() if hasattr(exc, "errors") else []  # type: ignore[attr-defined]
    if not errors:
        return tr("configuration invalide", "invalid configuration")
    first = errors[0]
    prefix = _env_prefix(str(getattr(exc, "title", "")))
    field = "_".join(str(p) for p in first["loc"]).upper()
    fr, en = pydantic_reason(first)
    return tr(f"configuration invalide : {prefix}{field} : {fr}.",
              f"invalid configuration: {prefix}{field}: {en}.")


def _env_prefix(title: str) -> str:
    from pydantic_settings import BaseSettings

    pending: list[type] = [BaseSettings]
    while pending:
        cls = pending.pop()
        if cls.__name__ == title:
            return str(getattr(cls, "model_config", {}).get("env_prefix", "")).upper()
        pending.extend(cls.__subclasses__())
    return ""


def pydantic_message(exc: Any) -> str:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "?"
    fr, en = pydantic_reason(first)
    return tr(f"donnée invalide « {field} » : {fr}.", f"invalid data '{field}': {en}.")


def database_refusal(exc: BaseException, *, conflict: bool) -> str:
    """The database refused a value (too long, out of range) or a duplicate: nothing written."""
    detail = _first_line(getattr(exc, "orig", None) or exc)
    if conflict:
        return tr(f"la base de données refuse un doublon ou une référence ({detail}) ; "
                  "rien n'a été écrit.",
                  f"the database refused a duplicate or a reference ({detail}); "
                  "nothing was written.")
    return tr(f"la base de données refuse une valeur ({detail}) ; rien n'a été écrit.",
              f"the database refused a value ({detail}); nothing was written.")


# Bugs ----------------------------------------------------------------------------------------


def where_the_details_are(exc: BaseException) -> str:
    """Write the traceback to `<LIASSE_HOME>/logs/` (print it too with LIASSE_DEBUG=1) and say
    where it is."""
    details = "".join(traceback.format_exception(exc))
    if _debug():
        err_console.print(details, highlight=False, markup=False, end="")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    for folder in _log_folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"cli-{stamp}-{os.getpid()}.log"
            path.write_text(f"liasse {' '.join(sys.argv[1:])}\n{details}", encoding="utf-8")
        except OSError:
            continue
        return tr(f"ceci est un bogue ; détails dans {path} (ou relancez avec LIASSE_DEBUG=1).",
                  f"this is a bug; details in {path} (or run again with LIASSE_DEBUG=1).")
    return tr("ceci est un bogue ; relancez avec LIASSE_DEBUG=1 pour les détails.",
              "this is a bug; run again with LIASSE_DEBUG=1 for the details.")


def _log_folders() -> list[Path]:
    folders: list[Path] = []
    try:
        folders.append(settings().home / "logs")
    except Exception:
        home = os.environ.get("LIASSE_HOME")
        if home:
            folders.append(Path(home) / "logs")
    folders.append(Path(tempfile.gettempdir()) / "liasse-logs")
    return folders


if __name__ == "__main__":
    app()
