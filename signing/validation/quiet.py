"""Keep pyHanko's log output out of a verification verdict.

pyHanko and its certificate validator log every rejected path, stale CRL and suspicious
incremental update as a WARNING with the whole traceback (`exc_info`). With no logging set up,
Python prints those to stderr, so `liasse verify` on a tampered file showed three tracebacks
before its verdict, and the verdict already says what is wrong. While a verification runs, the
records of these loggers are collected (message only, no traceback) instead of propagated; the
report keeps them for whoever needs the details.

Logger settings are process-wide, so concurrent verifications (portal threads) share one capture
installed by the first and removed by the last; each caller still gets only the records emitted
while it was inside (a record emitted by another thread may show up in both lists: harmless).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

LOGGERS = ("pyhanko", "pyhanko_certvalidator", "pypdf")


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.sinks: list[list[str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.WARNING:
            return
        line = f"{record.name}: {record.getMessage()}"
        for sink in list(self.sinks):
            sink.append(line)


_lock = threading.Lock()
_collector = _Collector()
_saved: dict[str, bool] = {}


@contextmanager
def captured_validation_logs() -> Iterator[list[str]]:
    """Inside the block, pyHanko/pypdf warnings go to the yielded list, not to stderr."""
    sink: list[str] = []
    with _lock:
        if not _collector.sinks:
            for name in LOGGERS:
                logger = logging.getLogger(name)
                _saved[name] = logger.propagate
                logger.propagate = False
                logger.addHandler(_collector)
        _collector.sinks.append(sink)
    try:
        yield sink
    finally:
        with _lock:
            _collector.sinks = [other for other in _collector.sinks if other is not sink]
            if not _collector.sinks:
                for name in LOGGERS:
                    logger = logging.getLogger(name)
                    logger.removeHandler(_collector)
                    logger.propagate = _saved.pop(name, True)
