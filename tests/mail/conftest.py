"""A real SMTP server (aiosmtpd) on 127.0.0.1, on a free port, that keeps what it receives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from .support import SmtpRecorder, SmtpServer, free_port


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    recorder = SmtpRecorder()
    port = free_port()
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        authenticator=recorder.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield SmtpServer(port, recorder)
    finally:
        controller.stop()
