"""Verification requests per second through ``jointinspect serve`` on SQLite.

    python benchmarks/bench_verify.py [--visits 3000] [--seconds 10] [--connections 8]
        [--workers 1] [--redis redis://127.0.0.1:6379/0]

Builds a SQLite database with a filed plan of ``--visits`` joint visits (two departments,
two officers each), starts ``serve`` in its own process with the rate limit off, and loads
it over loopback from a second process: ``wrk`` (Debian package) when installed, else a
small bounded asyncio httpx client. Every request asks for a different valid code, spread
over the whole plan. Prints requests/s and p50/p99 latency for the JSON API and the page.
Goal (issue 8): ≥ 500 requests/s at p99 ≤ 50 ms.

With ``--redis``, the server counts every request in Redis, as several ``serve`` behind
one load balancer do, under a limit too high to refuse any (the price of counting, not of
refusing); its keys go under a prefix of their own, deleted afterwards.
"""

import argparse
import asyncio
import datetime as dt
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import redis
from sqlmodel import select

from jointinspect.data.codes.filing import file_plan
from jointinspect.models import (
    Department,
    Enterprise,
    InspectionCode,
    Inspector,
    Item,
    Plan,
    PlanRevision,
    RevisionVisit,
    Visit,
    VisitOfficer,
    VisitTask,
    create_schema,
    make_engine,
    session_scope,
)
from jointinspect.models.codes import CodeKey
from jointinspect.models.uscc import complete

KEY = CodeKey("k1", bytes(range(32)))
DEPARTMENTS = {"SCJ": "市场监督管理局", "XF": "消防救援支队", "WJ": "卫生健康委员会"}
OFFICERS_PER_DEPARTMENT = 40
FIRST_DAY = dt.date(2025, 7, 1)
QUARTER_DAYS = 90
WARM_UP_SECONDS = 2
#: With --redis: counted, never refused (a minute at 1,000 requests/s is 60,000).
COUNTED_NOT_LIMITED = "1000000/minute"


def build_database(path: Path, visits: int) -> list[str]:
    """A filed plan of ``visits`` joint visits; returns their codes."""
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    rng = random.Random("bench_verify")
    departments = sorted(DEPARTMENTS)
    with session_scope(engine) as session:
        for code, name in DEPARTMENTS.items():
            session.add(Department(code=code, name=name))
        for n in range(visits):
            session.add(
                Enterprise(
                    uscc=complete(f"91310120MA{n:07d}"),
                    name=f"上海奉贤第{n}号企业有限公司",
                    industry="1419",
                    town="南桥镇",
                    address=f"南桥镇某路{n}号",
                )
            )
        session.flush()
        for d in departments:
            session.add(
                Item(
                    code=f"{d}-01",
                    department=d,
                    name=f"{DEPARTMENTS[d]}日常检查",
                    industries="*",
                    minutes=60,
                    mode="onsite",
                )
            )
            for k in range(OFFICERS_PER_DEPARTMENT):
                session.add(
                    Inspector(
                        id=f"{d}-{k:03d}",
                        department=d,
                        name=f"检查员{d}{k}",
                        cert_no=f"沪执{d}{k:05d}",
                        cert_valid_until=dt.date(2027, 12, 31),
                    )
                )
        session.add(Plan(id="FX-2025Q3", quarter="2025Q3"))
        session.flush()
        rev = PlanRevision(
            plan_id="FX-2025Q3",
            revision=1,
            status="draft",
            seed="bench",
            generated_at=dt.datetime(2025, 6, 20, tzinfo=dt.UTC),
            metrics={},
        )
        session.add(rev)
        session.flush()
        assert rev.id is not None
        for n in range(visits):
            visit = Visit(
                revision_id=rev.id,
                uscc=complete(f"91310120MA{n:07d}"),
                date=FIRST_DAY + dt.timedelta(days=n % QUARTER_DAYS),
                town="南桥镇",
                order=1 + n // QUARTER_DAYS,
                triggered=False,
            )
            session.add(visit)
            session.flush()
            assert visit.id is not None
            session.add(RevisionVisit(revision_id=rev.id, visit_id=visit.id))
            for d in rng.sample(departments, 2):
                session.add(
                    VisitTask(
                        visit_id=visit.id,
                        demand_id=f"D-{d}-{n}",
                        department=d,
                        item=f"{d}-01",
                        source="plan",
                    )
                )
                for k in rng.sample(range(OFFICERS_PER_DEPARTMENT), 2):
                    session.add(
                        VisitOfficer(visit_id=visit.id, inspector_id=f"{d}-{k:03d}", department=d)
                    )
        rev.metrics = {"demands": 2 * visits}
    file_plan(
        "2025Q3",
        engine=engine,
        key=KEY,
        filed_by="bench",
        now=dt.datetime(2025, 6, 20, 1, tzinfo=dt.UTC),
        check=lambda _s, _r: [],
    )
    with session_scope(engine) as session:
        codes = sorted(session.exec(select(InspectionCode.code)).all())
    engine.dispose()
    return codes


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and its live descendants, from /proc (Linux).

    Requests per CPU-second do not depend on what else the machine is running, which
    requests/s on a shared machine do."""
    proc = Path(f"/proc/{pid}")
    if not proc.exists():
        return 0.0
    fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for task in (proc / "task").iterdir():
        children = (task / "children").read_text().split()
        total += sum(cpu_seconds(int(child)) for child in children)
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    db: Path, port: int, workers: int, workers_log: Path, shared: list[str]
) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "JOINTINSPECT_DB": f"sqlite:///{db}",
        "JOINTINSPECT_KEY": f"{KEY.id}:{KEY.secret.hex()}",
        # The benchmark is one client asking a lot: no limit, or one it never reaches.
        "JOINTINSPECT_WEB_RATE_LIMIT": COUNTED_NOT_LIMITED if shared else "off",
    }
    log = workers_log.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from jointinspect.cli.app import main; main()",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            *shared,
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120  # workers import the whole CLI before they answer
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/static/verify.css").status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"serve did not start: {workers_log.read_text()}")


def run_wrk(
    base: str, paths: list[str], seconds: int, connections: int, tmp: Path
) -> dict[str, float]:
    script = tmp / "paths.lua"
    listed = ",".join(f'"{p}"' for p in paths)
    script.write_text(
        f"local paths = {{{listed}}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #paths + 1\n"
        '  return wrk.format("GET", paths[i])\n'
        "end\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    assert rate, out
    return {
        "rps": float(rate.group(1)),
        "p50": ms("50"),
        "p99": ms("99"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


async def _httpx_load(
    base: str, paths: list[str], seconds: int, connections: int
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits) as client:

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = await client.get(paths[i % len(paths)])
                latencies.append((time.perf_counter() - started) * 1000)
                errors += response.status_code != 200
                i += connections

        began = time.monotonic()
        await asyncio.gather(*(worker(k) for k in range(connections)))
        elapsed = time.monotonic() - began
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[int(0.99 * (len(latencies) - 1))],
        "errors": float(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=3000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="serve --workers")
    parser.add_argument("--client", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument("--redis", help="serve --redis: count every request in this Redis")
    args = parser.parse_args()
    key_prefix = f"ji-bench-{uuid.uuid4().hex[:8]}"
    shared = ["--redis", args.redis, "--redis-prefix", key_prefix] if args.redis else []
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "httpx"
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        started = time.perf_counter()
        codes = build_database(tmp / "bench.db", args.visits)
        print(f"filed plan: {len(codes)} codes in {time.perf_counter() - started:.1f} s")
        port = free_port()
        server = start_server(tmp / "bench.db", port, args.workers, tmp / "serve.log", shared)
        base = f"http://127.0.0.1:{port}"
        try:
            order = random.Random("order").sample(codes, len(codes))
            for label, prefix in (("GET /api/verify/CODE", "/api/verify/"), ("GET /v/CODE", "/v/")):
                paths = [prefix + c for c in order]
                # A short untimed run first: the server's first requests warm SQLite's page
                # cache, the connection pool and Jinja's compiled templates.
                for seconds in (WARM_UP_SECONDS, args.seconds):
                    cpu_before = cpu_seconds(server.pid)
                    if client == "wrk":
                        result = run_wrk(base, paths, seconds, args.connections, tmp)
                    else:
                        result = asyncio.run(_httpx_load(base, paths, seconds, args.connections))
                requests = result["rps"] * args.seconds
                cpu_ms = 1000 * (cpu_seconds(server.pid) - cpu_before) / max(requests, 1)
                verdict = "meets" if result["rps"] >= 500 and result["p99"] <= 50 else "misses"
                print(
                    f"{label:22s} {result['rps']:8.0f} req/s  p50 {result['p50']:6.1f} ms  "
                    f"p99 {result['p99']:6.1f} ms  non-200 {result['errors']:.0f}  "
                    f"({client}, {args.connections} connections, {args.workers} workers, "
                    f"{'counted in Redis, ' if args.redis else ''}{args.seconds} s; "
                    f"{verdict} ≥ 500 req/s at p99 ≤ 50 ms)"
                )
                print(f"{'':22s} server CPU {cpu_ms:.2f} ms per request")
            print(
                f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
            )
        finally:
            server.terminate()
            server.wait(timeout=10)
            if args.redis:
                store = redis.Redis.from_url(args.redis)
                keys = list(store.scan_iter(match=f"{key_prefix}:*"))
                if keys:
                    store.delete(*keys)
                store.close()


if __name__ == "__main__":
    main()
