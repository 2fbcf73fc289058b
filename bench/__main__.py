"""Run every benchmark, one subprocess each, printing their figures in turn."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = (
    ("seal", []),
    ("facturx_documents", ["3"]),
    ("invoicing", ["--count", "200"]),
    ("chorus_deposit", []),
    ("suspended_runs", ["20"]),
)


def main() -> int:
    failed = []
    for name, args in BENCHMARKS:
        print(f"\n=== bench.{name} {' '.join(args)}", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}", *args], check=False).returncode:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
