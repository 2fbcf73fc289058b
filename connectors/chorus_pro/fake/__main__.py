"""`python -m connectors.chorus_pro.fake --port 8765`: serve the fake Chorus Pro.

Credentials accepted (from `fixture.json`): client `liasse-demo-client` / `liasse-demo-secret`,
technical account `TECH_LIASSE@cpro.fr` / `Tech-Password-2026`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import uvicorn

from connectors.chorus_pro.fake.app import create_app
from connectors.chorus_pro.fake.state import FakeChorus, load_fixture


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake Chorus Pro (PISTE) server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--fixture", type=Path, help="JSON of clients, accounts and structures")
    args = parser.parse_args()
    fixture = json.loads(args.fixture.read_text("utf-8")) if args.fixture else load_fixture()
    uvicorn.run(
        create_app(FakeChorus(fixture)), host=args.host, port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
