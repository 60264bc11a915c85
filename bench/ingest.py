#!/usr/bin/env python3
"""Ingest benchmark: warroom (SQLite, PostgreSQL) vs Alertmanager 0.25 on POST /api/v2/alerts.

    .venv/bin/python bench/ingest.py            # ~10 s per cell, ~15-25 min in all
    .venv/bin/python bench/ingest.py --quick    # ~3 s per cell

See bench/README.md for what is measured and the caveats. Needs `wrk` (Debian package
`wrk`: `apt-get install -y wrk`), `/usr/bin/prometheus-alertmanager` and, for the
PostgreSQL target, a server reachable with --pg-url (trust auth; a fresh database
is created for the run and dropped afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LUA = HERE / "ingest_wrk.lua"
WARROOM = [sys.executable, "-m", "warroom"]
SNAPSHOT: Path | None = None  # copy of src/ taken at start, so concurrent edits can't mix in
ALERTMANAGER = Path("/usr/bin/prometheus-alertmanager")
CLK_TCK = os.sysconf("SC_CLK_TCK")
POOL_SIZE = 20_000  # label sets re-posted by the "repeated" cells (seeded by the fill)

START = "2026-01-01T00:00:00.000Z"
ENDS = "2099-01-01T00:00:00.000Z"  # far future: every alert stays active (firing)


def alert_json(ident: str) -> str:
    """Same shape as ingest_wrk.lua's alert(): what Prometheus 2.42 sends."""
    return ('{"annotations":{"summary":"bench alert ' + ident + ' is firing"},"endsAt":"' + ENDS
            + '","startsAt":"' + START
            + '","generatorURL":"http://prometheus:9090/graph?g0.expr=bench_up+%3D%3D+1&g0.tab=1",'
            + '"labels":{"alertname":"BenchAlert' + ident[-1] + '","i":"' + ident
            + '","instance":"10.0.0.1:9100","job":"bench","severity":"warning"}}')


def body_of(idents: list[str]) -> bytes:
    return ("[" + ",".join(alert_json(i) for i in idents) + "]").encode()


# --------------------------------------------------------------------------- processes

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60.0) -> None:
    import httpx
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2.0)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in KiB of `pid` and its child processes (`serve --workers`)."""
    rss = hwm = 0
    for p in {pid} | children_of(pid):
        values = {}
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(("VmRSS:", "VmHWM:")):
                    values[line.split(":")[0]] = int(line.split()[1])
        except OSError:
            continue
        rss, hwm = rss + values.get("VmRSS", 0), hwm + values.get("VmHWM", 0)
    return rss, hwm


def proc_jiffies() -> dict[int, tuple[str, str, int]]:
    """pid -> (comm, user-or-uid, utime+stime) for every process, to split CPU use."""
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry.name}/stat").read_text()
            uid = os.stat(f"/proc/{entry.name}").st_uid
        except OSError:
            continue
        comm = raw[raw.index("(") + 1: raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2:].split()
        out[int(entry.name)] = (comm, uid, int(rest[11]) + int(rest[12]))
    return out


def machine_busy_jiffies() -> int:
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in parts[:8])
    return user + nice + system + irq + softirq + steal


def children_of(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            kids = []
        for k in kids:
            found.add(int(k))
            todo.append(int(k))
    return found


@dataclass
class Target:
    name: str
    kind: str  # "sqlite" | "postgres" | "alertmanager" | "asgi-floor" (+ "-workers")
    workdir: Path
    pg_base: str = ""
    workers: int = 1  # `serve --workers`
    url: str = ""
    key: str = "-"
    proc: subprocess.Popen | None = None
    log: Path | None = None
    db_url: str = ""
    pg_db: str = ""
    seeded: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.kind.removesuffix("-workers")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _warroom_env(self) -> dict[str, str]:
        env = dict(os.environ, WARROOM_DATABASE_URL=self.db_url)
        env.pop("WARROOM_CONFIG", None)
        if SNAPSHOT is not None:
            env["PYTHONPATH"] = str(SNAPSHOT)
        return env

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.log = self.workdir / "server.log"
        if self.kind == "alertmanager":
            cfg = self.workdir / "alertmanager.yml"
            cfg.write_text('route:\n  receiver: "null"\n  group_by: ["alertname"]\n'
                           'receivers:\n  - name: "null"\n')
            cmd = [str(ALERTMANAGER), f"--config.file={cfg}",
                   f"--storage.path={self.workdir / 'data'}",
                   f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="]
            env = dict(os.environ)
        elif self.kind == "asgi-floor":
            cmd = [sys.executable, str(HERE / "asgi_floor.py"), str(port)]
            env = dict(os.environ)
        else:
            if self.base == "sqlite":
                self.db_url = f"sqlite:///{self.workdir / 'w.db'}"
            else:
                self.pg_db = f"warroom_bench_{os.getpid()}_{self.kind.replace('-', '_')}"
                self.db_url = f"{self.pg_base.rstrip('/')}/{self.pg_db}"
                self._psql(f'DROP DATABASE IF EXISTS "{self.pg_db}" WITH (FORCE)')
                self._psql(f'CREATE DATABASE "{self.pg_db}"')
                subprocess.run([*WARROOM, "db", "upgrade"], env=self._warroom_env(),
                               check=True, capture_output=True, cwd=self.workdir)
            made = subprocess.run(
                [*WARROOM, "integration", "create", "--name", "bench",
                 "--format", "alertmanager"], env=self._warroom_env(), check=True,
                capture_output=True, text=True, cwd=self.workdir)
            self.key = made.stdout.strip().splitlines()[-1].strip()
            cmd = [*WARROOM, "serve", "--host", "127.0.0.1", "--port", str(port),
                   "--workers", str(self.workers)]
            env = self._warroom_env()
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         cwd=self.workdir, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/-/healthy")
        self.url = base + "/api/v2/alerts"

    def _psql(self, sql: str, db: str = "postgres") -> str:
        base = self.pg_base.rstrip("/")
        return subprocess.run(["psql", f"{base}/{db}", "-Atq", "-c", sql], check=True,
                              capture_output=True, text=True).stdout.strip()

    def active_alerts(self) -> int:
        """Firing alerts the target holds (read from the DB for warroom, so the server's
        own memory is not disturbed by building a 100k-alert response)."""
        if self.base == "sqlite":
            with sqlite3.connect(self.workdir / "w.db", timeout=60) as conn:
                return conn.execute("SELECT count(*) FROM alerts WHERE status='firing'").fetchone()[0]
        if self.base == "postgres":
            return int(self._psql("SELECT count(*) FROM alerts WHERE status='firing'", self.pg_db))
        if self.kind == "asgi-floor":
            return 0  # keeps nothing
        import httpx
        got = httpx.get(self.url, params={"silenced": "true", "inhibited": "true",
                                          "active": "true"}, timeout=120).json()
        return len(got)

    def db_size(self) -> str:
        if self.base == "sqlite":
            total = sum(p.stat().st_size for p in self.workdir.glob("w.db*"))
            return f"{total / 2**20:.0f} MiB file"
        if self.base == "postgres":
            size = int(self._psql(f"SELECT pg_database_size('{self.pg_db}')"))
            return f"{size / 2**20:.0f} MiB db"
        return "-"

    def db_pids(self) -> set[int]:
        """PostgreSQL backends serving this target (by database name)."""
        if self.base != "postgres":
            return set()
        out = self._psql(f"SELECT pid FROM pg_stat_activity WHERE datname='{self.pg_db}'")
        return {int(p) for p in out.split()}

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.pg_db:
            try:
                self._psql(f'DROP DATABASE IF EXISTS "{self.pg_db}" WITH (FORCE)')
            except subprocess.CalledProcessError as exc:
                print(f"could not drop {self.pg_db}: {exc.stderr}", file=sys.stderr)
            self.pg_db = ""


# --------------------------------------------------------------------------- trivial sink

SINK_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


def run_sink(port: int) -> None:
    """A do-nothing HTTP/1.1 keep-alive server: reads each request (headers and body) and
    answers 200. Used only to measure how fast the load generator itself can go."""
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass

    class Sink(asyncio.Protocol):
        def connection_made(self, transport):  # type: ignore[no-untyped-def]
            self.t, self.buf, self.need = transport, bytearray(), -1

        def data_received(self, data: bytes) -> None:
            self.buf += data
            while True:
                if self.need < 0:
                    end = self.buf.find(b"\r\n\r\n")
                    if end < 0:
                        return
                    m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", self.buf[:end + 2])
                    self.need = end + 4 + (int(m.group(1)) if m else 0)
                if len(self.buf) < self.need:
                    return
                del self.buf[:self.need]
                self.need = -1
                self.t.write(SINK_RESPONSE)

    async def main() -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", port))
        server = await asyncio.get_running_loop().create_server(Sink, sock=sock, backlog=1024)
        await server.serve_forever()

    asyncio.run(main())


# --------------------------------------------------------------------------- load

@dataclass
class Cell:
    target: str
    batch: int
    mode: str  # "new" | "repeat"
    conns: int
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    server_cores: float = 0.0
    db_cores: float = 0.0
    wrk_cores: float = 0.0
    other_cores: float = 0.0
    drain_s: float = 0.0
    note: str = ""

    @property
    def rate(self) -> float:
        return self.requests * self.batch / self.seconds if self.seconds else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(url: str, key: str, *, mode: str, batch: int, conns: int, threads: int,
            duration: float, tag: str, poolfile: Path | None, pids: set[int],
            db_pids: set[int], timeout_s: int) -> Cell:
    cell = Cell(target="", batch=batch, mode=mode, conns=conns)
    cmd = ["wrk", f"-t{threads}", f"-c{max(conns, threads)}", f"-d{max(1, round(duration))}s",
           "--timeout", f"{timeout_s}s", "-s", str(LUA), url, "--", mode, str(batch), tag, key,
           str(poolfile or "-"), str(threads)]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, busy0, t0 = proc_jiffies(), machine_busy_jiffies(), time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + timeout_s + 60)
    after, busy1, elapsed = proc_jiffies(), machine_busy_jiffies(), time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk has exited and been reaped
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCHJSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr or proc.stdout}")
    data = json.loads(line.split(" ", 1)[1])
    cell.requests = data["requests"] - data["status_errors"]  # only 2xx count
    cell.seconds = data["duration_us"] / 1e6
    cell.p50_ms, cell.p99_ms = data["p50_us"] / 1000, data["p99_us"] / 1000
    cell.errors = sum(data[k] for k in ("connect_errors", "read_errors", "write_errors",
                                        "status_errors", "timeouts"))
    notes = []
    if data["status_errors"]:
        notes.append(f"{data['status_errors']} non-2xx")
    if data["timeouts"]:
        notes.append(f"{data['timeouts']} timeouts")
    cell.note = ", ".join(notes)

    def used(select) -> float:  # cores
        total = 0
        for pid, (comm, uid, j) in after.items():
            if select(pid, comm, uid) and pid in before:
                total += j - before[pid][2]
            elif select(pid, comm, uid):
                total += j
        return total / CLK_TCK / elapsed

    cell.server_cores = used(lambda p, c, u: p in pids)
    cell.db_cores = used(lambda p, c, u: p in db_pids)
    cell.wrk_cores = (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime) / elapsed
    machine = (busy1 - busy0) / CLK_TCK / elapsed
    cell.other_cores = max(0.0, machine - cell.server_cores - cell.db_cores - cell.wrk_cores)
    return cell


def drain(pid: int, limit: float = 120.0) -> float:
    """Wait until the server is idle again: requests wrk gave up on may still be running
    server-side and would otherwise be billed to the next cell."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        a = proc_jiffies().get(pid, ("", 0, 0))[2]
        time.sleep(0.5)
        b = proc_jiffies().get(pid, ("", 0, 0))[2]
        if (b - a) / CLK_TCK / 0.5 < 0.10:
            break
    return time.monotonic() - t0


def fill(target: Target, total: int, budget_s: float, workers: int = 4, batch: int = 1000) -> tuple[int, float]:
    """POST `total` new, active alerts in batches; the first POOL_SIZE become the pool the
    repeated cells re-post. Stops after `budget_s`. Returns (alerts stored, seconds)."""
    import httpx
    idents = [f"m-{n}" for n in range(total)]
    chunks = [idents[i:i + batch] for i in range(0, total, batch)]
    headers = {"Content-Type": "application/json"}
    if target.key != "-":
        headers["Authorization"] = f"Bearer {target.key}"
    deadline = time.monotonic() + budget_s
    done_chunks: list[list[str]] = []
    failures: list[str] = []
    t0 = time.monotonic()

    def post(chunk: list[str]) -> list[str] | None:
        if time.monotonic() > deadline:
            return None
        with httpx.Client(timeout=max(30.0, budget_s)) as client:
            r = client.post(target.url, content=body_of(chunk), headers=headers)
        if r.status_code // 100 != 2:
            failures.append(f"{r.status_code} {r.text[:200]}")
            return None
        return chunk

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for got in pool.map(post, chunks):
            if got is not None:
                done_chunks.append(got)
    elapsed = time.monotonic() - t0
    if failures:
        print(f"  {target.name}: {len(failures)} fill requests failed, e.g. {failures[0]}")
    stored = [i for c in done_chunks for i in c]
    target.seeded = stored[:POOL_SIZE]
    return len(stored), elapsed


def pool_file(target: Target, batch: int, workdir: Path) -> Path:
    path = workdir / f"pool-{target.kind}-{batch}.jsonl"
    ids = target.seeded
    with open(path, "wb") as f:
        for i in range(0, len(ids), batch):
            f.write(body_of(ids[i:i + batch]) + b"\n")
    return path


# --------------------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="3 s per cell and a shorter fill budget")
    ap.add_argument("--duration", type=float, help="seconds per cell (default 10, quick 3)")
    ap.add_argument("--targets", default="sqlite,postgres,alertmanager")
    ap.add_argument("--workers", type=int, default=2, help="`serve --workers` of the "
                    "sqlite-workers and postgres-workers targets")
    ap.add_argument("--batches", default="1,100,1000")
    ap.add_argument("--conns", default="1:32,100:16,1000:8",
                    help="connections per batch size, same for every target")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--memory-alerts", type=int, default=100_000)
    ap.add_argument("--fill-budget", type=float, help="max seconds to load the memory alerts "
                    "into one target (default 180, quick 90)")
    ap.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--live-src", action="store_true", help="run warroom from the working "
                    "tree instead of a copy of src/ taken at start")
    ap.add_argument("--memory-only", action="store_true", help="only start the targets, "
                    "load the memory alerts and sample RSS: no generator ceiling, no "
                    "throughput cells (wrk is not needed)")
    ap.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.sink:
        run_sink(args.sink)
        return 0

    from rich.console import Console
    from rich.table import Table
    console = Console(width=max(220, shutil.get_terminal_size().columns))

    if shutil.which("wrk") is None and not args.memory_only:
        console.print("[red]wrk not found.[/] Install it with [bold]apt-get install -y wrk[/] "
                      "(Debian/Ubuntu package `wrk`), then rerun.")
        return 2
    kinds = [t.strip() for t in args.targets.split(",") if t.strip()]
    if "alertmanager" in kinds and not ALERTMANAGER.exists():
        console.print(f"[red]{ALERTMANAGER} not found[/] (Debian package prometheus-alertmanager).")
        return 2
    duration = args.duration or (3.0 if args.quick else 10.0)
    budget = args.fill_budget or (90.0 if args.quick else 180.0)
    batches = [int(b) for b in args.batches.split(",")]
    conns = {int(k): int(v) for k, v in (p.split(":") for p in args.conns.split(","))}
    timeout_s = 60
    workdir = Path(tempfile.mkdtemp(prefix="warroom-bench-"))
    names = {"sqlite": "warroom/SQLite", "postgres": "warroom/PG",
             "alertmanager": "Alertmanager", "asgi-floor": "ASGI floor",
             "sqlite-workers": f"warroom/SQLite ×{args.workers}",
             "postgres-workers": f"warroom/PG ×{args.workers}"}
    global SNAPSHOT
    if not args.live_src:
        SNAPSHOT = workdir / "src"
        shutil.copytree(REPO / "src", SNAPSHOT, ignore=shutil.ignore_patterns("__pycache__"))
    targets = [Target(names[k], k, workdir / k, pg_base=args.pg_url,
                      workers=args.workers if k.endswith("-workers") else 1) for k in kinds]
    cells: list[Cell] = []
    calib: list[Cell] = []
    memory: dict[str, dict[str, str]] = {}
    sink: subprocess.Popen | None = None
    sinks: list[subprocess.Popen] = []
    started = time.monotonic()
    console.print(f"workdir {workdir}; {duration:g} s per cell; wrk -t{args.threads}; "
                  f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}")
    try:
        # 1. generator ceiling against a trivial server (two processes, SO_REUSEPORT)
        if not args.memory_only:
            port = free_port()
            sinks = [subprocess.Popen([sys.executable, __file__, "--sink", str(port)],
                                      start_new_session=True) for _ in range(2)]
            sink = sinks[0]
            time.sleep(1.0)
            for b in batches:
                c = run_wrk(f"http://127.0.0.1:{port}/api/v2/alerts", "-", mode="new", batch=b,
                            conns=conns.get(b, 16), threads=args.threads, duration=duration,
                            tag=f"sink{b}", poolfile=None, pids={s.pid for s in sinks},
                            db_pids=set(), timeout_s=timeout_s)
                c.target = "trivial sink"
                calib.append(c)
                console.print(f"  generator vs trivial sink, {b}/req: {c.rate:,.0f} alerts/s "
                              f"({c.rps:,.0f} req/s), wrk used {c.wrk_cores:.2f} cores")
            for s in sinks:
                s.terminate()
                s.wait(5)
            sink = None

        # 2. start every target, load the memory alerts, sample RSS
        for t in targets:
            console.print(f"starting {t.name} ...")
            t.start()
            rss0, _ = rss_kib(t.pid)
            console.print(f"  loading {args.memory_alerts:,} active alerts (1000/request, "
                          f"4 client threads, budget {budget:.0f} s) ...")
            stored, secs = fill(t, args.memory_alerts, budget)
            drain(t.pid)
            time.sleep(3.0)
            rss, hwm = rss_kib(t.pid)
            active = t.active_alerts()
            memory[t.name] = {"rss0": rss0, "rss": rss, "hwm": hwm, "active": active,
                              "posted": stored, "fill_s": secs, "db": t.db_size()}
            console.print(f"  {t.name}: {active:,} active alerts after {secs:.0f} s "
                          f"({stored / secs:,.0f} alerts/s), RSS {rss / 1024:,.0f} MiB "
                          f"(empty {rss0 / 1024:,.0f} MiB, peak {hwm / 1024:,.0f} MiB)")

        # 3. the cells, targets interleaved so background noise hits all alike
        for b in [] if args.memory_only else batches:
            for mode in ("new", "repeat"):
                for t in targets:
                    pf = pool_file(t, b, workdir) if mode == "repeat" else None
                    if mode == "repeat" and not t.seeded:
                        continue
                    c = run_wrk(t.url, t.key, mode=mode, batch=b, conns=conns.get(b, 16),
                                threads=args.threads, duration=duration,
                                tag=f"{mode}{b}x{int(time.time())}", poolfile=pf,
                                pids={t.pid} | children_of(t.pid), db_pids=t.db_pids(),
                                timeout_s=timeout_s)
                    c.target = t.name
                    c.drain_s = drain(t.pid)
                    cells.append(c)
                    console.print(f"  {t.name:20} {b:>4}/req {mode:6} {c.rate:>10,.0f} alerts/s "
                                  f"p50 {c.p50_ms:,.1f} ms p99 {c.p99_ms:,.1f} ms "
                                  f"errors {c.errors} server {c.server_cores:.2f} cores"
                                  + (f" (drained {c.drain_s:.0f} s)" if c.drain_s > 1.5 else ""))
        for t in targets:
            rss, _ = rss_kib(t.pid)
            memory[t.name]["rss_end"] = rss
            memory[t.name]["active_end"] = t.active_alerts()
    finally:
        if sink is not None:
            for s in sinks:
                s.terminate()
        for t in targets:
            t.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    # ------------------------------------------------------------------ report
    am = {(c.batch, c.mode): c for c in cells if c.target == names["alertmanager"]}
    table = Table(title=f"POST /api/v2/alerts ingest, {duration:g} s per cell, 127.0.0.1, "
                        f"{os.cpu_count()} CPUs, wrk -t{args.threads}", show_lines=False)
    for col in ("alerts/req", "fingerprints", "target", "conns", "req/s", "alerts/s",
                "p50 ms", "p99 ms", "errors", "server cores", "db cores", "other load",
                "rate vs AM", "p99 vs AM", "target", "verdict"):
        table.add_column(col, justify="left" if col in ("fingerprints", "target", "verdict") else "right",
                         no_wrap=col in ("target", "errors", "verdict"))
    for c in calib:
        table.add_row(str(c.batch), "new", "[dim]wrk → trivial sink[/]", str(c.conns),
                      f"{c.rps:,.0f}", f"{c.rate:,.0f}", f"{c.p50_ms:.2f}", f"{c.p99_ms:.2f}",
                      str(c.errors), f"{c.server_cores:.2f}", "-", f"{c.other_cores:.2f}",
                      "", "", "", f"wrk {c.wrk_cores:.2f} cores")
    table.add_section()
    for b in batches:
        for mode in ("new", "repeat"):
            for c in [c for c in cells if c.batch == b and c.mode == mode]:
                ref = am.get((b, mode))
                ratio = c.rate / ref.rate if ref and ref.rate else None
                p99r = c.p99_ms / ref.p99_ms if ref and ref.p99_ms else None
                goal = 1.0 if b > 1 else 0.5
                is_am = c.target == names["alertmanager"]
                verdict = "" if is_am or ratio is None else (
                    "[green]meets[/]" if ratio >= goal else "[red]misses[/]")
                table.add_row(str(b), "new" if mode == "new" else "repeated", c.target,
                              str(c.conns), f"{c.rps:,.1f}", f"{c.rate:,.0f}",
                              f"{c.p50_ms:,.1f}", f"{c.p99_ms:,.1f}",
                              str(c.errors) + (f" ({c.note})" if c.note else ""),
                              f"{c.server_cores:.2f}", f"{c.db_cores:.2f}" if c.db_cores else "-",
                              f"{c.other_cores:.2f}",
                              "" if is_am or ratio is None else f"{ratio:.3f}",
                              "" if is_am or p99r is None else f"{p99r:,.1f}x",
                              "" if is_am else f"≥ {goal:g}", verdict)
            table.add_section()
    if not args.memory_only:
        console.print(table)

    mt = Table(title=f"Resident memory holding {args.memory_alerts:,} active alerts "
                     "(VmRSS of the server process, sampled 3 s after the load)")
    for col in ("target", "active alerts", "load time", "load rate", "RSS empty", "RSS loaded",
                "peak RSS", "RSS vs AM", "target", "verdict", "RSS at end / alerts", "storage"):
        mt.add_column(col, justify="left" if col in ("target", "verdict", "storage") else "right")
    am_rss = memory.get(names["alertmanager"], {}).get("rss")
    for name, m in memory.items():
        ratio = m["rss"] / am_rss if am_rss else None
        is_am = name == names["alertmanager"]
        full = m["active"] >= args.memory_alerts
        verdict = "" if is_am or ratio is None else (
            ("[green]meets[/]" if ratio <= 0.5 else "[red]misses[/]")
            + ("" if full else f" [yellow](only {m['active']:,} alerts loaded)[/]"))
        mt.add_row(name, f"{m['active']:,}", f"{m['fill_s']:.0f} s",
                   f"{m['posted'] / m['fill_s']:,.0f}/s", f"{m['rss0'] / 1024:,.0f} MiB",
                   f"{m['rss'] / 1024:,.0f} MiB", f"{m['hwm'] / 1024:,.0f} MiB",
                   "" if is_am or ratio is None else f"{ratio:.2f}", "" if is_am else "≤ 0.5",
                   verdict,
                   f"{m.get('rss_end', 0) / 1024:,.0f} MiB / {m.get('active_end', 0):,}",
                   m["db"])
    console.print(mt)
    console.print(
        "[dim]server cores / db cores / other load: CPU used during the cell by the server "
        "process, its PostgreSQL backends, and everything else on the machine except wrk "
        "(other engineers' jobs, the background PostgreSQL processes). Ratios: warroom ÷ "
        "Alertmanager in the same row; target: warroom/AM ≥ 1 for batched ingest, ≥ 0.5 one "
        f"alert per request, RSS ≤ 0.5×. Total run time {time.monotonic() - started:.0f} s.[/]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
