"""Every command shown in the docs runs as shown.

The commands are the lines of fenced ```sh blocks in README.md and docs/*.md that start with ``ol-om `` or
``.venv/bin/ol-om ``. Each one must parse: its subcommand exists and every ``--flag`` it uses is in that
subcommand's ``--help``. Commands that need nothing external — ``translate``, ``graph`` and ``demo --dry-run`` —
are also run, through ``sh`` in a temporary directory that holds the files the docs name:

- ``events.jsonl``: the shipped demo events (one is malformed on purpose, so exit status 1 is accepted);
- ``calls.jsonl``: what ``ol-om translate events.jsonl`` prints;
- ``workflow.yaml``: an OpenMetadata OpenLineage-connector workflow, ``ol-om.yaml``: ol-om's short form;
- stdin is ``events.jsonl``, so ``-`` reads the demo events; ``.venv/bin/ol-om`` and ``ol-om`` are this venv's.

Write doc examples of those commands with these file names; outputs (``lineage.html``…) may be named freely.
"""

from __future__ import annotations

import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
OL_OM = pathlib.Path(sys.executable).parent / "ol-om"
DEMO_EVENTS = ROOT / "packages/ol_om/src/ol_om/examples/demo.jsonl"
PREFIXES = ("ol-om ", ".venv/bin/ol-om ")
RUNNABLE = {"translate", "graph"}  # plus `demo --dry-run`
OPERATORS = {"|", "||", "&&", ";", "&", "<", ">", ">>", "2>", "2>&1"}

WORKFLOW_YAML = """\
source:
  type: openlineage
  serviceName: openlineage-kafka-service
  serviceConnection:
    config:
      type: OpenLineage
      brokerConfig: {brokersUrl: "localhost:9092", topicName: openlineage-events, consumerGroupName: ol-om}
      namespaceToServiceMapping: {"postgres://pg-prod:5432": pg_prod}
  sourceConfig:
    config:
      type: PipelineMetadata
      lineageInformation: {dbServiceNames: [pg_prod]}
      pipelineFilterPattern: {includes: [".*"]}
      includeLineage: true
sink:
  type: metadata-rest
  config: {}
workflowConfig:
  openMetadataServerConfig:
    hostPort: http://localhost:8585/api
    authProvider: openmetadata
    securityConfig: {jwtToken: "not-a-token"}
"""

SHORT_YAML = """\
translate:
  namespaceToServiceMapping: {"postgres://pg-prod:5432": pg_prod}
source: {type: file}
sink: {type: dry-run}
"""


@dataclass(frozen=True)
class DocCommand:
    doc: str  # path relative to the repository
    line: int  # 1-based line number in the doc
    text: str  # the command as shown

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def _doc_commands() -> list[DocCommand]:
    found: list[DocCommand] = []
    for path in DOCS:
        in_sh = False
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            stripped = raw.strip()
            if stripped.startswith("```"):
                in_sh = not in_sh and stripped[3:].strip() == "sh"
                continue
            if in_sh and stripped.startswith(PREFIXES):
                found.append(DocCommand(str(path.relative_to(ROOT)), number, stripped))
    return found


COMMANDS = _doc_commands()


def _segments(text: str) -> list[list[str]]:
    """The ``ol-om`` invocations of a shell line, as argument lists (after ``ol-om``), comments dropped."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    segments: list[list[str]] = []
    current: list[str] | None = None
    skip_next = False
    for token in lexer:
        if skip_next:  # the file name after a redirection
            skip_next = False
            continue
        if token in OPERATORS or set(token) <= set("|&;<>"):
            if token.endswith((">", "<")):
                skip_next = True
            else:
                current = None
            continue
        if current is None:
            if token in ("ol-om", ".venv/bin/ol-om"):
                current = []
                segments.append(current)
            continue
        current.append(token)
    return segments


@cache
def _help(*args: str) -> str:
    done = subprocess.run([str(OL_OM), *args, "--help"], check=False, capture_output=True, text=True, timeout=30)
    return done.stdout + done.stderr if done.returncode == 0 else ""


def _subcommands() -> set[str]:
    match = re.search(r"\{([a-z,-]+)\}", _help())
    assert match, f"no subcommand list in `ol-om --help`:\n{_help()}"
    return set(match.group(1).split(","))


def test_docs_show_commands() -> None:
    assert OL_OM.exists(), f"{OL_OM} is missing: run ./dev setup"
    assert any(c.doc == "README.md" for c in COMMANDS), "README.md shows no ol-om command in a ```sh block"
    assert len({c.doc for c in COMMANDS}) >= 3, f"only {sorted({c.doc for c in COMMANDS})} show ol-om commands"


@pytest.mark.parametrize("command", COMMANDS, ids=[c.where for c in COMMANDS])
def test_command_parses(command: DocCommand) -> None:
    segments = _segments(command.text)
    assert segments, f"{command.where}: cannot read an ol-om command in `{command.text}`"
    subcommands = _subcommands()
    for args in segments:
        assert args and not args[0].startswith("-"), f"{command.where}: no subcommand in `{command.text}`"
        sub = args[0]
        assert sub in subcommands, (
            f"{command.where}: `ol-om {sub}` is not a subcommand (ol-om has {sorted(subcommands)}): `{command.text}`"
        )
        usage = _help(sub)
        for arg in args[1:]:
            if arg.startswith("--"):
                flag = arg.split("=", 1)[0]
                assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", usage), (
                    f"{command.where}: `ol-om {sub}` has no {flag} (see `ol-om {sub} --help`): `{command.text}`"
                )


def _runnable(command: DocCommand) -> bool:
    return any(
        args and (args[0] in RUNNABLE or (args[0] == "demo" and "--dry-run" in args))
        for args in _segments(command.text)
    )


RUNNABLE_COMMANDS = [c for c in COMMANDS if _runnable(c)]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A directory with the files doc commands name; each command runs in a fresh copy of it."""
    base = tmp_path_factory.mktemp("docs-base")
    shutil.copyfile(DEMO_EVENTS, base / "events.jsonl")
    (base / "workflow.yaml").write_text(WORKFLOW_YAML, encoding="utf-8")
    (base / "ol-om.yaml").write_text(SHORT_YAML, encoding="utf-8")
    done = subprocess.run(
        [str(OL_OM), "translate", "events.jsonl"], check=False, cwd=base, capture_output=True, text=True, timeout=30
    )
    assert done.returncode in (0, 1) and done.stdout, f"ol-om translate events.jsonl failed:\n{done.stderr}"
    (base / "calls.jsonl").write_text(done.stdout, encoding="utf-8")
    (base / ".venv/bin").mkdir(parents=True)
    (base / ".venv/bin/ol-om").symlink_to(OL_OM)
    return base


def test_some_commands_run() -> None:
    assert RUNNABLE_COMMANDS, "no doc shows a translate, graph or demo --dry-run command"


@pytest.mark.parametrize("command", RUNNABLE_COMMANDS, ids=[c.where for c in RUNNABLE_COMMANDS])
def test_command_runs(command: DocCommand, workdir: pathlib.Path, tmp_path: pathlib.Path) -> None:
    cwd = tmp_path / "run"
    shutil.copytree(workdir, cwd, symlinks=True)
    env = {**os.environ, "PATH": f"{OL_OM.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with (cwd / "events.jsonl").open("rb") as stdin:
        done = subprocess.run(
            ["sh", "-c", command.text],
            check=False,
            cwd=cwd,
            env=env,
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode in (0, 1), (
        f"{command.where}: `{command.text}` exited {done.returncode} (0, or 1 for the demo's rejected event, "
        f"expected), run in a directory holding {sorted(p.name for p in workdir.iterdir())}\n"
        f"stderr:\n{done.stderr[-2000:]}"
    )
    if done.returncode == 1:
        assert '"kind": "rejected"' in done.stderr, (
            f"{command.where}: `{command.text}` exited 1 without reporting a rejected event:\n{done.stderr[-2000:]}"
        )


def test_python_examples_compile_and_keep_what_their_tests_replace() -> None:
    """The ``<!-- python-example: NAME -->`` blocks (docs_examples.py): valid Python, and each literal a test
    replaces with its own endpoint is there once (tests/kafka/test_python_api.py runs the Kafka one)."""
    from docs_examples import kafka_substitutions, kinesis_substitutions, python_example, python_examples

    examples = python_examples()
    assert {"kafka", "kinesis"} <= set(examples), f"examples found: {sorted(examples)}"
    for where, code in examples.values():
        compile(code, where, "exec")
    compile(python_example("kafka", kafka_substitutions("127.0.0.1:9092", "t", "http://127.0.0.1:1/api", "t")),
            "kafka", "exec")
    compile(python_example("kinesis", kinesis_substitutions("http://127.0.0.1:2", "s", "http://127.0.0.1:1/api",
                                                            "t")), "kinesis", "exec")
