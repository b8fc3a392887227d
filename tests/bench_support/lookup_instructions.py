"""Instructions per member lookup, counted by callgrind: a figure the machine's load does not
move (docs/benchmarks.md, "Lookup pages (session 6)").

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=OUT \\
        python -m tests.bench_support.lookup_instructions --dir D [--kinds K,..] [--count 100]

Uses the lookup probe's database in ``D`` (seeded by ``tests.bench_support.lookup_probe
--dir D`` or here), builds the app, warms up with 30 lookups per kind, then for each kind
switches counting on (``callgrind_control -i on``), runs ``--count`` lookups and dumps the
counts into ``OUT.<n>`` (its ``summary:`` line over ``--count`` is the figure).
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from pathlib import Path

from tests.bench import LOOKUP_KINDS, lookup_value

from . import card_debit
from .lookup_probe import _environ, _seeded


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_support.lookup_instructions")
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--kinds", default=",".join(LOOKUP_KINDS))
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    site = args.dir / "site"
    card_debit.install(site)
    sys.path.insert(0, str(site))
    seeded = _seeded(args.dir, args.members)
    os.environ["DATABASE_URL"] = seeded.url
    os.environ.setdefault("HUIKA_SECRET_KEY", "lookup-probe-secret-" + "x" * 32)
    os.environ.setdefault("HUIKA_INSTANCE_PATH", str(args.dir / "instance"))
    from webui import create_app

    app = create_app()
    rng = random.Random(5)

    def ask(kind: str) -> None:
        value = lookup_value(seeded, kind, rng.randrange(seeded.members))
        statuses: list = []
        b"".join(app(_environ(seeded.token, kind, value),
                     lambda status, headers, exc_info=None: statuses.append(status)))
        if not statuses[0].startswith("200"):
            raise SystemExit(f"{kind}={value}: {statuses[0]}")

    def callgrind(*options: str) -> None:
        subprocess.run(["callgrind_control", *options, str(os.getpid())], check=True,
                       capture_output=True)

    kinds = args.kinds.split(",")
    for kind in kinds:
        for _ in range(30):
            ask(kind)
    for kind in kinds:
        callgrind("-i", "on")
        for _ in range(args.count):
            ask(kind)
        callgrind("-d", kind)
        callgrind("-i", "off")
        callgrind("-z")
        print(f"{kind}: counted {args.count} lookups (dump '{kind}')", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
