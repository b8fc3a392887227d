"""Member lookups through the WSGI app itself: CPU per lookup without HTTP or gunicorn.

    python -m tests.bench_support.lookup_probe [--members 1000000] [--count 1500] [--dir D]

Seeds the bench's lookup database (tests/bench_support/seed.py; with ``--dir``, once: a
second run reuses ``D/lookup.sqlite``), builds the app as gunicorn would (``create_app()``
with DATABASE_URL) and calls it directly with the environ of ``GET /api/v1/members?<kind>=``
for random members, as the bench's (d) rows ask. For each kind: the best of three runs of
``--count`` lookups, in CPU ms per lookup, every answer's status checked and one in ten
checked against the seed. CPU time of one process, so other load on the machine skews it
less than the HTTP rows (docs/benchmarks.md, "Lookup overhead (session 5)"). ``--profile``
prints cProfile's top functions of one kind instead.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from urllib.parse import quote

from tests.bench import LOOKUP_KINDS, lookup_problem, lookup_value

from . import card_debit


def _seeded(folder: Path, members: int):
    from . import seed

    saved = folder / "lookup.json"
    if saved.exists():
        facts = json.loads(saved.read_text())
        if facts["members"] == members:
            return seed.Seeded(**{**facts, "path": Path(facts["path"])})
    seeded = seed.create(folder / "lookup.sqlite", members, with_balances=False)
    saved.write_text(json.dumps({**asdict(seeded), "path": str(seeded.path)}))
    return seeded


def _environ(token: str, kind: str, value: str) -> dict:
    return {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/api/v1/members",
            "QUERY_STRING": f"{kind}={quote(value)}", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": "50000", "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_ENCODING": "identity",
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True,
            "wsgi.run_once": False}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_support.lookup_probe",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--count", type=int, default=1500, help="lookups per run (3 runs a kind)")
    parser.add_argument("--dir", type=Path, default=None, help="keep the database here for reuse")
    parser.add_argument("--kinds", default=",".join(LOOKUP_KINDS))
    parser.add_argument("--profile", default=None, help="a kind to profile with cProfile")
    args = parser.parse_args(argv)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="huika-lookup-probe-"))
    folder.mkdir(parents=True, exist_ok=True)
    site = folder / "site"
    card_debit.install(site)
    sys.path.insert(0, str(site))
    seeded = _seeded(folder, args.members)
    os.environ["DATABASE_URL"] = seeded.url
    os.environ.setdefault("HUIKA_SECRET_KEY", "lookup-probe-secret-" + "x" * 32)
    os.environ.setdefault("HUIKA_INSTANCE_PATH", str(folder / "instance"))
    from collections import Counter

    from webui import create_app

    app = create_app()
    prefixes = Counter(seeded.name(i)[:2] for i in range(seeded.members))
    rng = random.Random(5)

    def ask(kind: str, check: bool) -> None:
        value = lookup_value(seeded, kind, rng.randrange(seeded.members))
        statuses: list = []
        body = b"".join(app(_environ(seeded.token, kind, value),
                            lambda status, headers, exc_info=None: statuses.append(status)))
        if not statuses[0].startswith("200"):
            raise SystemExit(f"{kind}={value}: {statuses[0]} {body[:300]!r}")
        if check:
            problem = lookup_problem(seeded, kind, value, json.loads(body), prefixes)
            if problem:
                raise SystemExit(f"{kind}={value}: {problem}")

    kinds = args.kinds.split(",")
    for kind in kinds:
        for index in range(50):
            ask(kind, check=True)
    if args.profile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        for index in range(args.count):
            ask(args.profile, check=False)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        return 0
    print(f"{seeded.members:,} members; load average {os.getloadavg()[0]:.1f}")
    for kind in kinds:
        best = None
        for _run in range(3):
            began = time.process_time()
            for index in range(args.count):
                ask(kind, check=index % 10 == 0)
            cpu_ms = (time.process_time() - began) / args.count * 1000
            best = cpu_ms if best is None else min(best, cpu_ms)
        print(f"  GET /api/v1/members?{kind}=  {best:.3f} ms CPU per lookup "
              f"(best of 3 x {args.count}, in-process WSGI)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
