"""`python -m connectors.vies.fake --port 8766`: serve the fake VIES.

Point Liasse at it with `LIASSE_VIES_URL=http://127.0.0.1:8766/taxation_customs/vies/services/checkVatService`.
"""

from __future__ import annotations

import argparse

import uvicorn

from connectors.vies.fake.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake VIES SOAP server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
