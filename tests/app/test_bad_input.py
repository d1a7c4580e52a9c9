"""Bad input, to every command: a one-line error naming the file, where in it and what is wrong, a non-zero exit,
never a traceback. And ``parse.MAX_DEPTH`` is the depth that is refused, wherever events are read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ol_om._cli import main
from ol_om_core import configfile
from ol_om_core.errors import ConfigError, InvalidEvent
from ol_om_core.parse import MAX_DEPTH, loads, parse


def nested(depth: int) -> str:
    """A JSON document whose arrays and objects nest ``depth`` levels deep."""
    return '{"a":' * (depth - 1) + "[1]" + "}" * (depth - 1)


CONFIGS: dict[str, tuple[bytes, str]] = {  # file -> (content, what the error must say)
    "latin1.yaml": (b"translate:\n  pipelineService: caf\xe9\n", "is not UTF-8 text: byte 33 (line 2) is 0xe9"),
    "binary.yaml": (bytes(range(256)) * 4, "is not UTF-8 text"),
    "empty.yaml": (b"", "is empty"),
    "blank.json": (b"  \n", "is empty"),
    "syntax.yaml": (b"translate: [unclosed\n",
                    "is not valid YAML: expected ',' or ']', but got '<stream end>' at line 2"),
    "syntax.json": (b'{"translate": }', "is not valid JSON: Expecting value at line 1 column 15"),
    "syntax.toml": (b"[translate\n", "is not valid TOML: "),
    "nul.yaml": (b"translate:\x00\n", "is not valid YAML: unacceptable character #x0000"),
    "deep.yaml": (b"translate: " + b"[" * 5000 + b"]" * 5000, "is not usable YAML: nested too deeply"),
    "deep.json": (b'{"translate": ' + b"[" * 5000 + b"]" * 5000 + b"}", "is not usable JSON: nested too deeply"),
    "deep.toml": (b"translate = " + b"[" * 5000 + b"]" * 5000, "is not usable TOML: nested too deeply"),
    "bigint.yaml": (b"translate:\n  maxRuns: " + b"9" * 5000, "is not valid YAML: Exceeds the limit (4300 digits)"),
    "bigint.json": (b'{"translate": {"maxRuns": ' + b"9" * 5000 + b"}}", "is not valid JSON: Exceeds the limit"),
    "list.yaml": (b"- a\n- b\n", "must hold a mapping at the top level"),
    "int-keys.yaml": (b"1: a\nb: c\n", "1: unknown key; expected translate, source or sink"),
    # Billion laughs: PyYAML keeps aliases as references, so nothing is expanded; the key is refused at once.
    "laughs.yaml": (b'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
                    + b"".join(f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n".encode()
                               for i in range(9)), "a: unknown key; expected translate, source or sink"),
    "recursive.yaml": (b"translate: &t\n  namespaceToServiceMapping: *t\n",
                       "translate.namespaceToServiceMapping.namespaceToServiceMapping: must be a string, not dict"),
}
COMMANDS = [["translate", "--config", "{config}", "{events}"], ["graph", "--config", "{config}", "{events}"],
            ["run", "--config", "{config}"], ["serve", "--config", "{config}"], ["check", "--config", "{config}"],
            ["replay", "{events}", "--config", "{config}"]]


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("name", CONFIGS)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_bad_config_file_is_one_line_naming_file_position_and_cause(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, command: list[str]) -> None:
    content, expected = CONFIGS[name]
    config = tmp_path / name
    config.write_bytes(content)
    events = tmp_path / "events.jsonl"
    events.write_text("{}\n")
    argv = [arg.format(config=config, events=events) for arg in command]
    assert main([*argv, "--dead-letters", str(tmp_path / "d.jsonl")] if command[0] in ("run", "serve") else argv) == 2
    line = one_line_error(capsys)
    assert line.startswith("ol-om: configuration error") and str(config) in line and expected in line, line


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH])
def test_events_nested_up_to_max_depth_are_read(depth: int) -> None:
    assert loads(nested(depth)) is not None


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 100_000])
def test_events_nested_deeper_than_max_depth_are_refused_before_decoding(depth: int) -> None:
    for text in (nested(depth), nested(depth).encode(), "[" * depth + "]" * depth):
        with pytest.raises(InvalidEvent, match=f"nested deeper than {MAX_DEPTH} levels"):
            parse(text)


def test_brackets_in_strings_and_escapes_do_not_count_as_depth() -> None:
    text = json.dumps({"a": "[" * 500 + "{" * 500, "b": "\\\"[[[", "c": nested(MAX_DEPTH - 1)})
    assert loads(text) == json.loads(text)
    # ... and a string cannot hide depth behind closing brackets either
    deep = '["]]]]]]\\"]]]]",' + nested(MAX_DEPTH) + "]"
    with pytest.raises(InvalidEvent, match="nested deeper"):
        loads(deep)


BAD_EVENTS = {
    f"nested {MAX_DEPTH + 1} deep": (nested(MAX_DEPTH + 1), f"not usable JSON: nested deeper than {MAX_DEPTH} levels"),
    "unbalanced 100,000 deep": ("[" * 100_000, f"nested deeper than {MAX_DEPTH} levels"),
    "a 5000-digit number": ('{"eventType": ' + "9" * 5000 + "}", "not usable JSON: Exceeds the limit (4300 digits)"),
    "invalid JSON": ("{bad", "not JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
}


@pytest.mark.parametrize("command", ["translate", "graph"])
@pytest.mark.parametrize("case", BAD_EVENTS)
def test_a_bad_event_line_is_rejected_with_its_position(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        command: str, case: str) -> None:
    text, reason = BAD_EVENTS[case]
    events = tmp_path / "events.jsonl"
    events.write_text("\n" + text + "\n")
    assert main([command, str(events)]) == 1
    report = json.loads(one_line_error(capsys))
    assert report["position"] == f"{events}:2" and report["path"] == "$" and reason in report["reason"], report


def test_binary_and_missing_event_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "events.bin"
    binary.write_bytes(b"\xff\xfe\x00\x01\n")
    assert main(["translate", str(binary)]) == 1
    report = json.loads(one_line_error(capsys))
    assert (report["position"], report["reason"]) == (f"{binary}:1", "not UTF-8: invalid start byte at byte 0")
    assert main(["graph", str(tmp_path / "missing.jsonl")]) == 2
    assert "No such file or directory" in one_line_error(capsys)
    assert main(["translate", str(tmp_path)]) == 2
    assert "Is a directory" in one_line_error(capsys)
    config = tmp_path / "dry.yaml"
    config.write_text("sink: {type: dry-run}\n")
    assert main(["replay", str(binary), "--config", str(config)]) == 2
    assert one_line_error(capsys) == (f"ol-om: configuration error: {binary} is not a dead-letter file: "
                                      "byte 0 is not UTF-8")


def depth_of(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    return 0


JSON_VALUES = st.recursive(
    st.none() | st.integers() | st.text(alphabet='[]{}"\\ab\n\u00e9', max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet='[]{}"\\a', max_size=4), inner,
                                                                max_size=3),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES, wrap=st.integers(MAX_DEPTH - 8, MAX_DEPTH + 2), as_list=st.booleans())
def test_the_depth_limit_is_exactly_max_depth(value: object, wrap: int, as_list: bool) -> None:
    document: object = value
    for _ in range(wrap):
        document = [document] if as_list else {"k": document}
    text = json.dumps(document, ensure_ascii=False)
    if depth_of(document) > MAX_DEPTH:
        with pytest.raises(InvalidEvent, match="nested deeper"):
            loads(text)
    else:
        assert loads(text.encode()) == document


def test_a_billion_laughs_of_mappings_is_read_without_expanding_it(tmp_path: Path) -> None:
    """30 keys a level, 8 levels of aliases: 30**8 paths, each mapping looked at once (hours, walked naively)."""
    levels = ["l0: &l0 {" + ", ".join(f"k{i}: 1" for i in range(30)) + "}"] + [
        f"l{d}: &l{d} {{" + ", ".join(f"k{i}: *l{d - 1}" for i in range(30)) + "}" for d in range(1, 8)]
    config = tmp_path / "laughs.yaml"
    config.write_text("source: {type: openlineage, serviceConnection: {config: {type: OpenLineage}}}\n"
                      "laughs:\n" + "".join(f"  {level}\n" for level in levels))
    settings = configfile.load(config)  # returns (a hang before: the misplaced-key check walked every path)
    assert settings.openmetadata_form and settings.source == {}
    config.write_text(config.read_text().replace("l0: &l0 {", "l0: &l0 {includeLineage: true, "))
    with pytest.raises(ConfigError, match=r"^laughs\.l0\.includeLineage: is not read here; it belongs under "
                                          r"source\.sourceConfig\.config"):
        configfile.load(config)


@pytest.mark.parametrize("host_port", ["http://[::1", "http://localhost:port/api", "http://:8585/api"])
def test_a_host_port_that_is_no_url_is_a_configuration_error_not_retried(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], host_port: str) -> None:
    config = tmp_path / "workflow.yaml"
    config.write_text(json.dumps({"source": {"type": "file", "path": str(tmp_path / "events.jsonl")},
                                  "sink": {"type": "openmetadata", "hostPort": host_port, "authProvider": "no-auth"}}))
    assert main(["run", "--config", str(config), "--dead-letters", str(tmp_path / "dead.jsonl")]) == 2
    assert one_line_error(capsys) == (f"ol-om: configuration error in {config}: sink.hostPort: is not a URL with a "
                                      "host and an optional port, such as http://localhost:8585/api")


@pytest.mark.parametrize(("flag", "value", "said"), [
    ("--metrics-port", "70000", "not a port number"), ("--metrics-port", "-1", "not a port number"),
    ("--report-every", "0", "not a positive number"), ("--report-every", "nan", "not a positive number"),
    ("--report-every", "inf", "not a positive number")])
def test_impossible_run_flags_are_refused_before_anything_starts(
        capsys: pytest.CaptureFixture[str], flag: str, value: str, said: str) -> None:
    with pytest.raises(SystemExit) as stopped:  # the config is not even read
        main(["run", "--config", "no-such-file.yaml", flag, value])
    assert stopped.value.code == 2 and f"argument {flag}: '{value}' is {said}" in capsys.readouterr().err
