"""Record what real OpenLineage producers emit: Apache Airflow 3 with its OpenLineage provider, and dbt-ol.

    python3 scripts/record_producers.py [airflow|dbt|all] [--out tests/fixtures/producers] [--keep DIR]

It makes throwaway virtual environments, starts a throwaway PostgreSQL from the machine's packages on loopback,
and a capture server standing where ``ol-om serve`` would (``POST /api/v1/lineage``), so each producer posts with
openlineage-python's HTTP transport exactly as its users configure it. Each scenario's events are written as
received, one JSON document a line, to ``{out}/{producer}/{scenario}.jsonl``, and the versions to
``{out}/VERSIONS.json``. Tests run on the recorded files; this script re-records them on demand.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent / "producers"
AIRFLOW_PACKAGES = ["apache-airflow>=3,<4", "apache-airflow-providers-openlineage",
                    "apache-airflow-providers-common-sql", "apache-airflow-providers-postgres"]
# dbt-core 1.12 builds a parser wheel by downloading a binary at install time: not installable from the
# package index alone, so 1.11 is recorded.
DBT_PACKAGES = ["dbt-core<1.12", "dbt-postgres<1.12", "openlineage-dbt"]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Capture:
    """A stand-in for ``ol-om serve`` that appends each posted event to the current scenario's file."""

    def __init__(self) -> None:
        self.target: Path | None = None
        self.lock = threading.Lock()
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                events = json.loads(body)
                with capture.lock:
                    if capture.target is not None:
                        with capture.target.open("a") as out:
                            for event in events if isinstance(events, list) else [events]:
                                out.write(json.dumps(event, separators=(",", ":")) + "\n")
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def into(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
        with self.lock:
            self.target = path


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None, check: bool = True,
        user: str | None = None) -> subprocess.CompletedProcess[str]:
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    print("$", " ".join(cmd), flush=True)
    done = subprocess.run(cmd, env={**os.environ, **(env or {})}, cwd=cwd, text=True, capture_output=True,
                          timeout=900, check=False)
    if check and done.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def venv(where: Path, packages: list[str]) -> Path:
    if not (where / "bin/python").exists():
        run([sys.executable, "-m", "venv", str(where)])
        uv = shutil.which("uv") or str(ROOT / ".venv/bin/uv")
        run([uv, "pip", "install", "-q", *packages], env={"VIRTUAL_ENV": str(where)})
    return where / "bin"


def versions(bin_dir: Path, names: list[str]) -> dict[str, str]:
    listed = json.loads(run([str(bin_dir / "python"), "-m", "pip", "list", "--format", "json"]).stdout)
    found = {p["name"].lower().replace("_", "-"): p["version"] for p in listed}
    return {name: found[name] for name in names if name in found}


class Postgres:
    """A throwaway PostgreSQL cluster on loopback, run as the ``postgres`` system user."""

    def __init__(self, work: Path) -> None:
        self.dir = work / "pg"
        self.port = free_port()
        shutil.rmtree(self.dir, ignore_errors=True)  # a kept work folder's cluster is started anew
        self.dir.mkdir(parents=True)
        shutil.chown(self.dir, "postgres")
        run([str(PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust"], user="postgres")
        run([str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-o",
             f"-p {self.port} -h 127.0.0.1 -k {self.dir}", "start"], user="postgres")
        self.version = run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-tAc",
                            "SHOW server_version"]).stdout.strip()

    def sql(self, text: str, db: str = "postgres") -> None:
        run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1",
             "-c", text])

    def stop(self) -> None:
        run([str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "stop"], user="postgres",
            check=False)


SHOP_SQL = """
CREATE SCHEMA raw; CREATE SCHEMA analytics;
CREATE TABLE raw.customers (id int PRIMARY KEY, name text, country text);
CREATE TABLE raw.orders (id int PRIMARY KEY, customer_id int, amount numeric, status text);
INSERT INTO raw.customers VALUES (1, 'Ana', 'PT'), (2, 'Bo', 'SE');
INSERT INTO raw.orders VALUES (1, 1, 10.5, 'paid'), (2, 1, 4, 'paid'), (3, 2, 7, 'refunded');
"""


def record_airflow(work: Path, out: Path, capture: Capture, pg: Postgres) -> dict[str, str]:
    bin_dir = venv(work / "airflow-venv", AIRFLOW_PACKAGES)
    home = work / "airflow"
    (home / "dags").mkdir(parents=True, exist_ok=True)
    for dag in (HERE / "airflow_dags").glob("*.py"):
        shutil.copy(dag, home / "dags" / dag.name)
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "prod",
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps({"type": "http", "url": capture.url,
                                                       "endpoint": "api/v1/lineage"}),
        "AIRFLOW_CONN_SHOP_PG": f"postgresql://postgres@127.0.0.1:{pg.port}/shop",
        "OL_OM_RECORD_MARKERS": str(work / "markers"),
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
    }
    (work / "markers").mkdir(exist_ok=True)
    airflow = str(bin_dir / "airflow")
    run([airflow, "db", "migrate"], env)
    day = "2026-11-02"
    for dag in ("orders_etl", "orders_fail", "orders_retry"):
        capture.into(out / "airflow" / f"{dag}.jsonl")
        run([airflow, "dags", "test", dag, day], env, check=False)
        time.sleep(2)
    # A failed DAG run, cleared and run again under the same run (as a user's "Clear" in the UI does).
    capture.into(out / "airflow" / "orders_rerun.jsonl")
    run([airflow, "dags", "test", "orders_rerun", day], env, check=False)
    (work / "markers" / "orders_rerun").write_text("fixed")
    run([airflow, "tasks", "clear", "orders_rerun", "--yes", "--start-date", day, "--end-date", day], env,
        check=False)
    run([airflow, "dags", "test", "orders_rerun", day], env, check=False)
    time.sleep(2)
    return versions(bin_dir, ["apache-airflow", "apache-airflow-providers-openlineage",
                              "apache-airflow-providers-common-sql", "apache-airflow-providers-postgres",
                              "openlineage-python", "openlineage-integration-common"])


def record_dbt(work: Path, out: Path, capture: Capture, pg: Postgres) -> dict[str, str]:
    bin_dir = venv(work / "dbt-venv", DBT_PACKAGES)
    project = work / "dbt-project"
    shutil.copytree(HERE / "dbt_project", project, dirs_exist_ok=True)
    (project / "profiles.yml").write_text(
        "shop:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      host: 127.0.0.1\n"
        f"      port: {pg.port}\n      user: postgres\n      password: ''\n      dbname: shop\n"
        "      schema: analytics\n      threads: 1\n")
    env = {"OPENLINEAGE_URL": capture.url, "OPENLINEAGE_NAMESPACE": "dbt-shop", "DBT_PROFILES_DIR": str(project),
           "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    dbt_ol = str(bin_dir / "dbt-ol")
    run([str(bin_dir / "dbt"), "seed"], env, cwd=project)
    for name, args in (("run", ["run"]), ("test", ["test"]), ("build", ["build"]),
                       ("run_structured_logs", ["run", "--consume-structured-logs"])):
        capture.into(out / "dbt" / f"{name}.jsonl")
        run([dbt_ol, *args], env, cwd=project, check=False)
    return versions(bin_dir, ["dbt-core", "dbt-postgres", "openlineage-dbt", "openlineage-python",
                              "openlineage-integration-common"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("which", nargs="?", default="all", choices=["airflow", "dbt", "all"])
    parser.add_argument("--out", type=Path, default=ROOT / "tests/fixtures/producers")
    parser.add_argument("--keep", type=Path, help="work folder to keep (venvs are reused from it)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="ol-om-record-"))
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o755)
    capture = Capture()
    pg = Postgres(work)
    manifest_path = args.out / "VERSIONS.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    try:
        pg.sql("CREATE DATABASE shop")
        pg.sql(SHOP_SQL, db="shop")
        if args.which in ("airflow", "all"):
            manifest["airflow"] = record_airflow(work, args.out, capture, pg)
        if args.which in ("dbt", "all"):
            manifest["dbt"] = record_dbt(work, args.out, capture, pg)
    finally:
        pg.stop()
        capture.server.shutdown()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    manifest.update(postgresql=pg.version, python=platform.python_version(),
                    recorded=datetime.date.today().isoformat())
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    for path in sorted(args.out.glob("*/*.jsonl")):
        print(f"{path.relative_to(args.out)}: {sum(1 for _ in path.open())} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
