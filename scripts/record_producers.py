"""Record what real OpenLineage producers emit: Apache Airflow 3 with its OpenLineage provider, and dbt-ol.

    python3 scripts/record_producers.py [airflow|dbt|all] [--out tests/fixtures/producers] [--keep DIR]

It makes throwaway virtual environments, starts a throwaway PostgreSQL from the machine's packages on loopback,
and a capture server standing where ``ol-om serve`` would (``POST /api/v1/lineage``), so each producer posts with
openlineage-python's HTTP transport exactly as its users configure it. Airflow runs as deployed (API server,
scheduler with the LocalExecutor, DAG processor), so the DAG runs are the scheduler's, with their DAG-level events,
retries and clears. Each scenario's events are written as received, one JSON document a line, to
``{out}/{producer}/{scenario}.jsonl``, and the versions to ``{out}/VERSIONS.json``. Tests run on the recorded files;
this script re-records them on demand. Stdlib only.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
import os
import platform
import pwd
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DAGS = Path(__file__).resolve().parent / "producers" / "airflow_dags"
DBT_PROJECT = ROOT / "tests/fixtures/producers/dbt/project"  # committed beside its recordings, to be seen
# Pinned so that a re-recording says what it recorded; raise them on purpose.
AIRFLOW_PACKAGES = ["apache-airflow==3.3.2", "apache-airflow-providers-openlineage==2.20.3",
                    "apache-airflow-providers-common-sql==2.4.0", "apache-airflow-providers-postgres==7.1.1"]
# dbt-core 1.12 builds a parser wheel by downloading a binary at install time: not installable from the
# package index alone, so 1.11 is recorded.
DBT_PACKAGES = ["dbt-core==1.11.16", "dbt-postgres==1.11.0", "openlineage-dbt==1.54.0"]
AIRFLOW_VERSIONS = ["apache-airflow", "apache-airflow-core", "apache-airflow-task-sdk",
                    "apache-airflow-providers-openlineage", "apache-airflow-providers-common-sql",
                    "apache-airflow-providers-common-compat", "apache-airflow-providers-postgres",
                    "apache-airflow-providers-standard", "openlineage-python", "openlineage-integration-common",
                    "openlineage-sql"]
DBT_VERSIONS = ["dbt-core", "dbt-postgres", "dbt-adapters", "openlineage-dbt", "openlineage-python",
                "openlineage-integration-common", "openlineage-sql"]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
# Ports that end up in the events (dataset namespaces, log URLs): fixed where free, so re-recordings differ less.
PG_PORT, AIRFLOW_API_PORT = 54329, 58089
DAY = "2026-11-02"

SHOP_SQL = """
CREATE SCHEMA raw; CREATE SCHEMA analytics;
CREATE TABLE raw.customers (id int PRIMARY KEY, name text, country text);
CREATE TABLE raw.orders (id int PRIMARY KEY, customer_id int, amount numeric, status text);
CREATE TABLE analytics.order_archive (order_id int, customer_id int, amount numeric);
INSERT INTO raw.customers VALUES (1, 'Ana', 'PT'), (2, 'Bo', 'SE');
INSERT INTO raw.orders VALUES (1, 1, 10.5, 'paid'), (2, 1, 4, 'paid'), (3, 2, 7, 'refunded');
"""


def free_port(preferred: int = 0) -> int:
    for port in (preferred, 0) if preferred else (0,):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind: past TIME_WAIT
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise RuntimeError("no free port")


class Capture:
    """A stand-in for ``ol-om serve``: every posted event, in arrival order, as the line it was sent as."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.cond = threading.Condition()
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                text = body.decode().strip()
                parsed = json.loads(text)
                # One event a request is what the HTTP transport sends: kept verbatim. A batch is split.
                lines = ([(json.dumps(e, separators=(",", ":")), e) for e in parsed] if isinstance(parsed, list)
                         else [(text if "\n" not in text else json.dumps(parsed, separators=(",", ":")), parsed)])
                with capture.cond:
                    capture.events.extend(lines)
                    capture.cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def mark(self) -> int:
        with self.cond:
            return len(self.events)

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float, what: str) -> None:
        with self.cond:
            if not self.cond.wait_for(lambda: predicate([e for _, e in self.events]), timeout):
                print(f"!! timed out waiting for {what}", flush=True)


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None, *, check: bool = True,
        user: str | None = None, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    print("$", " ".join(cmd), flush=True)
    done = subprocess.run(cmd, env={**os.environ, **(env or {})}, cwd=cwd, text=True, capture_output=True,
                          timeout=900, check=False)
    if log:
        with log.open("a") as out:
            out.write(f"$ {' '.join(cmd)}\n{done.stdout}\n{done.stderr}\n")
    if check and done.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def venv(where: Path, packages: list[str]) -> Path:
    if not (where / "bin/python").exists():
        run([sys.executable, "-m", "venv", str(where)])
        uv = ROOT / ".venv/bin/uv"
        if uv.exists():
            run([str(uv), "pip", "install", "-q", *packages], env={"VIRTUAL_ENV": str(where)})
        else:
            run([str(where / "bin/python"), "-m", "pip", "install", "-q", *packages])
    return where / "bin"


def versions(bin_dir: Path, names: list[str]) -> dict[str, str]:
    code = ("import json, importlib.metadata as m; print(json.dumps({d.metadata['Name'].lower().replace('_', '-'):"
            " d.version for d in m.distributions()}))")
    found = json.loads(run([str(bin_dir / "python"), "-c", code]).stdout)
    return {name: found[name] for name in names if name in found}


class Postgres:
    """A throwaway PostgreSQL cluster on loopback, run as the ``postgres`` system user (it refuses root)."""

    def __init__(self, work: Path) -> None:
        if not (PG_BIN / "initdb").exists():
            run(["apt-get", "install", "-y", "-q", "postgresql"])
        self.dir = work / "pg"
        self.port = free_port(PG_PORT)
        user = "postgres" if os.geteuid() == 0 else None
        if user:
            try:
                pwd.getpwnam(user)
            except KeyError:
                run(["useradd", "--system", "--no-create-home", user])
        shutil.rmtree(self.dir, ignore_errors=True)  # a kept work folder's cluster is started anew
        self.dir.mkdir(parents=True)
        if user:
            shutil.chown(self.dir, user)
        self.user = user
        run([str(PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust"], user=user)
        run([str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-o",
             f"-p {self.port} -h 127.0.0.1 -k {self.dir}", "start"], user=user)
        self.version = self.query("SHOW server_version")

    def query(self, text: str, db: str = "postgres") -> str:
        return run([str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db,
                    "-v", "ON_ERROR_STOP=1", "-tAc", text]).stdout.strip()

    def stop(self) -> None:
        run([str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "stop"], user=self.user,
            check=False)


class Services:
    """Long-running processes started here, each in its own process group, stopped by their ids."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, cmd: list[str], env: dict[str, str], log: Path) -> None:
        print("&", " ".join(cmd), flush=True)
        with log.open("ab") as out:
            self.procs.append(subprocess.Popen(cmd, env={**os.environ, **env}, stdout=out, stderr=out,
                                               start_new_session=True))

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()


def wait_until(check: Callable[[], Any], timeout: float, what: str, every: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
        except sqlite3.Error:
            found = None
        if found:
            return found
        time.sleep(every)
    raise SystemExit(f"timed out waiting for {what}")


def dag_events(dag: str) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    return lambda events: [e for e in events if e["job"]["name"] == dag and e["eventType"] in ("COMPLETE", "FAIL")]


def record_airflow(work: Path, capture: Capture, pg: Postgres) -> tuple[dict[str, list[str]], dict[str, str]]:
    bin_dir = venv(work / "airflow-venv", AIRFLOW_PACKAGES)
    home = work / "airflow"
    shutil.rmtree(home, ignore_errors=True)
    (home / "dags").mkdir(parents=True)
    (work / "markers").mkdir(exist_ok=True)
    for marker in (work / "markers").iterdir():
        marker.unlink()
    for dag in DAGS.glob("*.py"):
        shutil.copy(dag, home / "dags" / dag.name)
    api_port = free_port(AIRFLOW_API_PORT)
    db = home / "airflow.db"
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{db}",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        # The provider is on by default once installed; these are what a user sets to send to `ol-om serve`.
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "prod",
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps({"type": "http", "url": capture.url,
                                                       "endpoint": "api/v1/lineage"}),
        "AIRFLOW_CONN_SHOP_PG": f"postgresql://postgres@127.0.0.1:{pg.port}/shop",
        "OL_OM_RECORD_MARKERS": str(work / "markers"),
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
    }
    airflow = str(bin_dir / "airflow")
    log = work / "airflow.log"
    run([airflow, "db", "migrate"], env, log=log)

    def sql(query: str, *args: object) -> list[tuple[Any, ...]]:
        with sqlite3.connect(db, timeout=30) as conn:
            return conn.execute(query, args).fetchall()

    def finished(dag: str, run_id: str | None = None) -> tuple[str, str] | None:
        rows = sql("SELECT run_id, state FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", dag)
        if rows and rows[0][1] in ("success", "failed") and run_id in (None, rows[0][0]):
            return rows[0][0], rows[0][1]
        return None

    services = Services()
    try:
        services.start([airflow, "api-server"], env, work / "api-server.log")
        services.start([airflow, "dag-processor"], env, work / "dag-processor.log")
        services.start([airflow, "scheduler"], env, work / "scheduler.log")
        names = sorted(p.stem for p in DAGS.glob("*.py"))
        wait_until(lambda: len(sql("SELECT dag_id FROM serialized_dag")) >= len(names), 180, "the DAGs parsed")

        # orders_etl: the scheduler's own run (catch-up off: the latest interval), as a scheduled DAG runs.
        run([airflow, "dags", "unpause", "orders_etl"], env, log=log)
        wait_until(lambda: finished("orders_etl"), 300, "orders_etl's run")
        run([airflow, "dags", "pause", "orders_etl"], env, log=log)
        capture.wait_for(lambda ev: len(dag_events("orders_etl")(ev)) >= 1, 60, "orders_etl's DAG event")

        # The others are triggered, as a user (or an API call) does.
        for dag in ("orders_fail", "orders_retry", "orders_rerun"):
            run([airflow, "dags", "unpause", dag], env, log=log)
            run([airflow, "dags", "trigger", dag, "--logical-date", f"{DAY}T00:00:00+00:00"], env, log=log)
            run_id, state = wait_until(lambda d=dag: finished(d), 300, f"{dag}'s run")
            print(f"   {dag} {run_id}: {state}", flush=True)
            capture.wait_for(lambda ev, d=dag: len(dag_events(d)(ev)) >= 1, 60, f"{dag}'s DAG event")

        # orders_rerun failed; fixed, then the DAG run is cleared as a user's "Clear" does, and runs again.
        run_id, _ = finished("orders_rerun") or ("", "")
        (work / "markers" / "orders_rerun").write_text("fixed")
        done = run([airflow, "dags", "clear", "orders_rerun", "--run-id", run_id, "--yes"], env, log=log, check=False)
        if done.returncode != 0:  # older CLIs: clear the run's tasks by its logical date
            run([airflow, "tasks", "clear", "orders_rerun", "--yes", "--start-date", DAY, "--end-date", DAY], env,
                log=log)
        wait_until(lambda: sql("SELECT 1 FROM dag_run WHERE run_id = ? AND state = 'success'", run_id), 300,
                   "orders_rerun's second run")
        capture.wait_for(lambda ev: len(dag_events("orders_rerun")(ev)) >= 2, 60, "orders_rerun's second DAG event")
        time.sleep(3)  # anything still in flight
    finally:
        services.stop()
    with capture.cond:
        received = list(capture.events)
    files: dict[str, list[str]] = {}
    for line, event in received:  # every Airflow job name starts with its DAG id
        dag = event["job"]["name"].split(".")[0]
        if event.get("producer", "").find("airflow") >= 0 and dag in names:
            files.setdefault(f"airflow/{dag}.jsonl", []).append(line)
    return files, versions(bin_dir, AIRFLOW_VERSIONS)


def record_dbt(work: Path, capture: Capture, pg: Postgres) -> tuple[dict[str, list[str]], dict[str, str]]:
    bin_dir = venv(work / "dbt-venv", DBT_PACKAGES)
    project = work / "dbt-project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(DBT_PROJECT, project)
    (project / "profiles.yml").write_text(
        "shop:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      host: 127.0.0.1\n"
        f"      port: {pg.port}\n      user: postgres\n      password: ''\n      dbname: shop\n"
        "      schema: analytics\n      threads: 1\n")
    # What a user sets for dbt-ol to post to `ol-om serve`: the client's URL and the jobs' namespace.
    env = {"OPENLINEAGE_URL": capture.url, "OPENLINEAGE_NAMESPACE": "dbt-shop", "DBT_PROFILES_DIR": str(project),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    log = work / "dbt.log"
    dbt_ol = str(bin_dir / "dbt-ol")
    run([str(bin_dir / "dbt"), "seed"], env, cwd=project, log=log)
    files: dict[str, list[str]] = {}
    for name, args in (("run", ["run"]), ("test", ["test"]), ("build", ["build"]),
                       ("run_structured_logs", ["run", "--consume-structured-logs"]),
                       ("build_structured_logs", ["build", "--consume-structured-logs"])):
        start = capture.mark()
        done = run([dbt_ol, *args], env, cwd=project, check=False, log=log)
        print(f"   dbt-ol {' '.join(args)}: exit {done.returncode}", flush=True)
        with capture.cond:
            files[f"dbt/{name}.jsonl"] = [line for line, _ in capture.events[start:]]
    return files, versions(bin_dir, DBT_VERSIONS)


def scrub(lines: list[str], work: Path) -> list[str]:
    """Machine details out of the events: the work folder's path and this host's name, nothing else."""
    host = socket.gethostname()
    out = [line.replace(str(work), "/tmp/ol-om-record") for line in lines]
    return [line.replace(host, "recorder-host") for line in out] if len(host) > 3 else out


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("which", nargs="?", default="all", choices=["airflow", "dbt", "all"])
    parser.add_argument("--out", type=Path, default=ROOT / "tests/fixtures/producers")
    parser.add_argument("--keep", type=Path, help="work folder to keep (its venvs are reused)")
    args = parser.parse_args()
    work = (args.keep or Path(tempfile.mkdtemp(prefix="ol-om-record-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o755)
    capture = Capture()
    pg = Postgres(work)
    manifest_path = args.out / "VERSIONS.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    files: dict[str, list[str]] = {}
    try:
        pg.query("CREATE DATABASE shop")
        pg.query(SHOP_SQL, db="shop")
        if args.which in ("airflow", "all"):
            recorded, manifest["airflow"] = record_airflow(work, capture, pg)
            files.update(recorded)
        if args.which in ("dbt", "all"):
            recorded, manifest["dbt"] = record_dbt(work, capture, pg)
            files.update(recorded)
    finally:
        pg.stop()
        capture.server.shutdown()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for name, lines in files.items():
        path = args.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(line + "\n" for line in scrub(lines, work)))
    manifest.update(postgresql=pg.version, python=platform.python_version(),
                    recorded=datetime.date.today().isoformat())
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    for name in sorted(files):
        print(f"{name}: {len(files[name])} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
