"""Remembering which idempotency keys were already sent, and under which message id.

Twilio's Messages API has no idempotency key of its own, so the sender keeps the mapping: in
memory for one process, or in a small JSON file (atomic rewrite) so a restarted demo does not
re-send either. Production callers also keep the returned id next to their own record.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Protocol


class IdempotencyStore(Protocol):
    def get(self, key: str) -> str | None: ...

    def put(self, key: str, message_id: str) -> None: ...


class MemoryIdempotencyStore:
    def __init__(self) -> None:
        self._seen: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._seen.get(key)

    def put(self, key: str, message_id: str) -> None:
        with self._lock:
            self._seen[key] = message_id


class FileIdempotencyStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _load(self) -> dict[str, str]:
        if not self.path.is_file():
            return {}
        return json.loads(self.path.read_text() or "{}")

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._load().get(key)

    def put(self, key: str, message_id: str) -> None:
        with self._lock:
            seen = self._load()
            seen[key] = message_id
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".sms-keys-")
            with os.fdopen(fd, "w") as handle:
                json.dump(seen, handle)
            os.replace(tmp, self.path)
