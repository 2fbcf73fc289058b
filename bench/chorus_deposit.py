"""Benchmark: 1,000 Chorus Pro deposits against the fake with 50 ms latency.

Runs the real path (record in the database before the call, preflight with cached buyer
parameters, `deposer/flux` over HTTP, record the outcome) one invoice at a time on a sample
(`Depositor.deposit`), then 1,000 deposits as a wave (`Depositor.deposit_wave`: bounded
concurrency, claims and outcomes committed per chunk of 100). For transparency it also times
one-at-a-time deposits run in parallel threads, where each state change is its own fsynced
commit and the audit chain serialises them. Prints the speed-up and the number of invoices the
fake received more than once.

    .venv/bin/python -m bench.chorus_deposit [--count 1000] [--concurrency 32] [--sample 50]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

import application.schema.all_models  # noqa: F401
from connectors.chorus_pro.checks import xsd_only_check
from connectors.chorus_pro.client import ChorusProClient
from connectors.chorus_pro.deposit import Depositor, DepositRequest
from connectors.chorus_pro.fake.server import free_port
from connectors.chorus_pro.settings import ChorusSettings
from documents.facturx.samples import chorus_sample
from dossiers.db import Base, make_engine, make_session_factory

BUYERS = [("13000120900019", {}), ("18000450900014", {"service_code": "BIBLIO"})]


def start_fake(port: int) -> subprocess.Popen[bytes]:
    """The fake in its own process, so its CPU does not compete with the client's."""
    process = subprocess.Popen(
        [sys.executable, "-m", "connectors.chorus_pro.fake", "--port", str(port)]
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_fake/deposits", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the fake Chorus Pro did not start")


def requests(prefix: str, count: int) -> list[DepositRequest]:
    made = []
    for i in range(count):
        number = f"{prefix}-{i:05d}"
        siret, routing = BUYERS[i % len(BUYERS)]
        made.append(DepositRequest(number, chorus_sample(number, buyer_siret=siret, **routing)))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--sample", type=int, default=50, help="sequential deposits measured")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument(
        "--threaded", type=int, default=200, help="one-at-a-time deposits in parallel threads"
    )
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()

    port = free_port()
    fake = start_fake(port)
    url = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}")
            Base.metadata.create_all(engine)
            sessions = make_session_factory(engine)
            settings = ChorusSettings(
                client_id="liasse-demo-client",
                client_secret="liasse-demo-secret",
                technical_login="TECH_LIASSE@cpro.fr",
                technical_password="Tech-Password-2026",
                api_base_url=url,
                oauth_base_url=url,
                max_concurrency=args.concurrency,
            )
            total = args.sample + args.count + args.threaded
            print(f"Preparing {total} Factur-X invoices...", flush=True)
            sample, batch = requests("SEQ", args.sample), requests("PAR", args.count)
            extra = requests("THR", args.threaded)
            httpx.post(f"{url}/_fake/faults", json={"latency_ms": args.latency_ms})
            with ChorusProClient(settings) as client:
                depositor = Depositor(sessions, client, xsd_only_check)

                started = time.perf_counter()
                sequential = [depositor.deposit(r) for r in sample]
                per_deposit = (time.perf_counter() - started) / len(sample)

                started = time.perf_counter()
                parallel = depositor.deposit_wave(batch, concurrency=args.concurrency)
                elapsed = time.perf_counter() - started

                started = time.perf_counter()
                with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                    threaded = list(pool.map(depositor.deposit, extra))
                threaded_each = (time.perf_counter() - started) / max(1, len(extra))
            engine.dispose()
        counts = httpx.get(f"{url}/_fake/deposits").json()["counts"]
    finally:
        fake.terminate()
        fake.wait(timeout=10)

    outcomes = sequential + parallel + threaded
    not_sent = [o for o in outcomes if not o.sent]
    duplicates = sum(1 for n in counts.values() if n > 1)
    estimate = per_deposit * args.count
    print(f"latency injected      : {args.latency_ms} ms per Chorus Pro call")
    print(f"sequential (sample)   : {per_deposit * 1000:.1f} ms per deposit over {len(sample)}")
    print(f"sequential, estimated : {estimate:.1f} s for {args.count}")
    print(
        f"concurrent ({args.concurrency:>3})     : {elapsed:.1f} s for {args.count} "
        f"({args.count / elapsed:.0f} deposits/s)"
    )
    print(f"speed-up              : {estimate / elapsed:.1f}x")
    print(
        f"threads, commit each  : {threaded_each * 1000:.1f} ms per deposit over {len(extra)} "
        f"({per_deposit / threaded_each:.1f}x; bound by one fsynced commit per state change)"
    )
    print(f"deposits received     : {sum(counts.values())} for {len(counts)} invoices")
    print(f"duplicates            : {duplicates}")
    print(f"not sent              : {len(not_sent)}")
    if duplicates or not_sent or estimate / elapsed < 10:
        sys.exit(1)


if __name__ == "__main__":
    main()
