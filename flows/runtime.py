"""What a flow run needs at hand: database sessions, the mailer, the secret, the domain engine.

A flow run in a worker or `serve` subprocess builds this once from the environment (the same
`LIASSE_*` variables as the CLI). Tests and `liasse serve` may install a ready-made `Runtime`
with `use_runtime`, which also reaches flow runs executed in the same process.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from application.services import build_services
from connectors.mail import Mailer
from flows.file_engine_protocol import FileEngine, SlaSource
from flows.settings import FlowSettings


@dataclass
class Runtime:
    session_factory: sessionmaker[Session]
    mailer: Mailer
    secret: bytes
    flow_settings: FlowSettings
    file_engine: FileEngine
    sla_source: SlaSource | None = None


_installed: Runtime | None = None


def import_factory(path: str) -> Callable[..., Any]:
    """`package.module:callable` -> the callable (a clear error when it does not exist)."""
    module_name, _, attr = path.partition(":")
    if not module_name or not attr:
        raise ValueError(f"expected 'module:callable', got {path!r}")
    return getattr(importlib.import_module(module_name), attr)


def runtime_from_environment() -> Runtime:
    """A flow-run process's runtime, from the application's composition root."""
    services = build_services(chorus=None, vies=None)
    settings, factory = services.settings, services.factory
    flow_settings = FlowSettings()
    sla_source = None
    try:
        sla_source = import_factory(flow_settings.sla_source)(factory)
    except (ImportError, AttributeError):
        sla_source = None  # the SLA flow reports it; the customer-file flow does not need it
    return Runtime(
        session_factory=factory,
        mailer=services.mailer,
        secret=settings.resolved_secret_key(),
        flow_settings=flow_settings,
        file_engine=import_factory(flow_settings.file_engine)(factory),
        sla_source=sla_source,
    )


@lru_cache(maxsize=1)
def _cached_environment_runtime() -> Runtime:
    return runtime_from_environment()


def current_runtime() -> Runtime:
    return _installed if _installed is not None else _cached_environment_runtime()


@contextmanager
def use_runtime(runtime: Runtime) -> Iterator[Runtime]:
    global _installed
    previous, _installed = _installed, runtime
    try:
        yield runtime
    finally:
        _installed = previous
