"""Chaos: the SDK against a loopback sandbox with every fault at once (see tests/chaos/harness.py).

`python benchmarks/chaos.py` runs the full form (1,000 report requests, 200 distinct, callers
cancelled at random; a 100,000-row CDR pull); `--quick` a bounded form for CI. It prints a
table, fails (exit 1) if an invariant is broken, and its last line is one JSON object:
`{"requests", "faults", "retries", "re_requests", "reports_delivered", "reports_expected",
"rows_delivered", "rows_expected", "duplicates", "losses", "leaked_tasks", "secrets_found",
"wall_s", ...}`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import anyio
import attrs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.chaos.harness import ChaosConfig, run_chaos, violations

FULL = ChaosConfig()
QUICK = ChaosConfig(requests=200, distinct=40, rows=20_000, scale=40.0, bound_s=120.0)


def main() -> int:
    """Run, print the table and the JSON line; 1 if an invariant broke."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the bounded CI form")
    parser.add_argument("--backend", default="asyncio", choices=["asyncio", "trio"])
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    cfg = QUICK if args.quick else FULL
    if args.seed is not None:
        cfg = attrs.evolve(cfg, seed=args.seed)
    figures = anyio.run(run_chaos, cfg, backend=args.backend)
    broken = violations(figures)
    width = max(len(k) for k in figures)
    print(f"chaos ({'quick' if args.quick else 'full'}, {args.backend})")
    for key, value in figures.items():
        print(f"  {key:<{width}}  {value}")
    for line in broken:
        print(f"  BROKEN: {line}")
    print(json.dumps(figures))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
