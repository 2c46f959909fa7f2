"""The `verify` command cannot lose data: one test per hole found by the review of the CLI
(each written before its fix, and failing on the code before it)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from verifiers import InputError, accuracy_reward, format_reward
from verifiers.base import VerifiersWarning
from verifiers.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOOD = '{"completion": "\\\\boxed{1}", "solution": "1"}\n'


def run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines()], captured.err


def cli(*args, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "verifiers", *args], input=stdin, capture_output=True, timeout=timeout
    )


# 1. the output never truncates the input; a run that dies leaves the old file or a whole new one


def test_scoring_a_file_into_itself_keeps_every_row(tmp_path, capsys):
    path = tmp_path / "same.jsonl"
    path.write_text(GOOD * 3)
    code, _, _ = run(["score", str(path), "-o", str(path)], capsys)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert code == 0 and len(rows) == 3
    assert all(r["verify"]["reward"] == 1.0 and r["solution"] == "1" for r in rows)


def test_an_infrastructure_failure_keeps_old_output_and_a_partial_file(tmp_path, monkeypatch, capsys):
    from verifiers.errors import WorkerCrashed
    from verifiers.shaping.combine import WeightedSum

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    out.write_text("previous results\n")
    src.write_text(GOOD * 5)
    calls = {"n": 0}
    original = WeightedSum.score_parts

    def dying(self, completions, **columns):
        calls["n"] += 1
        if calls["n"] == 3:
            raise WorkerCrashed("worker died while grading item 0 (exit code -9)", index=0)
        return original(self, completions, **columns)

    monkeypatch.setattr(WeightedSum, "score_parts", dying)
    code, _, err = run(["score", str(src), "-o", str(out), "--batch-size", "1"], capsys)
    assert code == 3
    assert out.read_text() == "previous results\n"
    partial = Path(str(out) + ".partial")
    assert len(partial.read_text().splitlines()) == 2
    assert "2 rows were written" in err and str(partial) in err
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# 2. a deeply nested line is that row's malformed_input, not the end of the run


def test_deeply_nested_json_is_one_malformed_row(tmp_path, capsys):
    src = tmp_path / "deep.jsonl"
    src.write_text(GOOD * 500 + "[" * 10_000 + "\n" + GOOD * 500)
    code, rows, err = run(["score", str(src)], capsys)
    assert code == 1 and len(rows) == 1001
    assert rows[500]["verify"]["status"] == "malformed_input" and rows[500]["verify"]["line"] == 501
    assert [r["verify"]["reward"] for r in rows].count(1.0) == 1000
    assert "line 501:" in err


# 3. encodings: a BOM, invalid UTF-8, the same from a file and from standard input

BAD_UTF8 = b'{"completion": "\\\\boxed{1}", "solution": "1", "note": "\xff\xfe"}\n'


@pytest.mark.parametrize("via", ["file", "stdin"])
def test_bom_and_invalid_utf8_are_decided_per_line(tmp_path, via):
    data = b"\xef\xbb\xbf" + GOOD.encode() + BAD_UTF8 + GOOD.encode()
    if via == "file":
        src = tmp_path / "in.jsonl"
        src.write_bytes(data)
        proc = cli("score", str(src), "-q")
    else:
        proc = cli("score", "-", "-q", stdin=data)
    lines = proc.stdout.decode("utf-8").splitlines()  # the output is valid UTF-8
    rows = [json.loads(line) for line in lines]
    assert proc.returncode == 1, proc.stderr
    assert [r["verify"]["status"] for r in rows] == ["scored", "malformed_input", "scored"]
    assert rows[1]["verify"]["line"] == 2 and "UTF-8" in rows[1]["verify"]["detail"]
    assert b"line 2:" in proc.stderr and b"Traceback" not in proc.stderr


# 4. a bare CR inside a line does not split it


def test_bare_cr_inside_a_line_is_one_row(tmp_path, capsys):
    src = tmp_path / "cr.jsonl"
    src.write_bytes(b'{"completion": "\\\\boxed{1}",\r "solution": "1", "note": "a\rb"}\n' + GOOD.encode())
    code, rows, _ = run(["score", str(src)], capsys)
    assert code == 0 and len(rows) == 2
    assert rows[0]["note"] == "a\rb" and rows[0]["verify"]["reward"] == 1.0


def test_crlf_line_endings_are_read(tmp_path, capsys):
    src = tmp_path / "crlf.jsonl"
    src.write_bytes(GOOD.replace("\n", "\r\n").encode() * 2)
    code, rows, _ = run(["score", str(src)], capsys)
    assert code == 0 and [r["verify"]["reward"] for r in rows] == [1.0, 1.0]


# 5. conversations that are the data's fault, and ShareGPT


@pytest.mark.parametrize(
    "completion",
    [
        [{"role": "user", "content": "what is 1?"}],
        [{"role": "assistant"}],
        [],
    ],
    ids=["no-assistant-turn", "no-content", "empty"],
)
def test_malformed_conversations_are_the_datas_fault(tmp_path, capsys, completion):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"completion": completion, "solution": "1"}) + "\n")
    code, rows, err = run(["score", str(src), "-r", "accuracy", "-r", "format"], capsys)
    assert code == 1
    for part in rows[0]["verify"]["rewards"].values():
        assert part["reward"] is None and part["status"] == "malformed_input"
    assert "line 1:" in err


def test_sharegpt_messages_are_read():
    convo = [{"from": "human", "value": "1?"}, {"from": "gpt", "value": "<think>x</think><answer>\\boxed{1}</answer>"}]
    assert accuracy_reward([convo], solution=["1"]) == [1.0]
    assert format_reward([convo]) == [1.0]


# 6. a required field missing from the whole file, and -m for a field that never appears


def test_a_field_missing_from_the_whole_file_is_warned_up_front_and_in_the_summary(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text('{"completion": "\\\\boxed{1}", "solutoin": "1"}\n' * 3)
    code, rows, err = run(["score", str(src)], capsys)
    assert code == 1 and all(r["verify"]["reward"] is None for r in rows)
    first, summary = err.index("'solution'"), err.index("3 rows")
    assert first < err.index("line 1:") < summary  # up front, before the per-row reports
    assert "no row has a field 'solution'" in err[summary:]


def test_a_mapping_to_a_field_that_never_appears_is_warned(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(GOOD)
    code, _, err = run(["score", str(src), "-m", "solution=nonexistent,foo=bar"], capsys)
    assert code == 1
    assert "'nonexistent'" in err and "no reward reads a column 'foo'" in err


# 7. the Python API refuses input of the wrong shape, and says when a column is absent


def test_a_string_is_not_a_batch():
    with pytest.raises(InputError, match="wrap it"):
        accuracy_reward(completions="\\boxed{1}", solution=["1"])


@pytest.mark.parametrize("ids", [[[5, 7, 9], [1, 2]], [5, 7, 9]], ids=["completion_ids", "flat-ints"])
def test_token_ids_are_not_completions(ids):
    with pytest.raises(InputError, match="token ids"):
        accuracy_reward(ids)


def test_an_absent_required_column_is_none_and_warned_once():
    from verifiers.base import _WARNED

    _WARNED.discard(("accuracy", "solution"))
    with pytest.warns(VerifiersWarning, match="'solution'"):
        assert accuracy_reward(["\\boxed{1}"]) == [None]


# 8. option values


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "abc"])
def test_timeout_must_be_positive(value, capsys):
    with pytest.raises(SystemExit) as info:
        main(["score", "x.jsonl", "--timeout", value])
    assert info.value.code == 2
    assert "--timeout" in capsys.readouterr().err


def test_a_wrongly_typed_option_names_the_option(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(GOOD)
    with pytest.raises(SystemExit) as info:
        main(["score", str(src), "--set", "accuracy.low=abc"])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert "accuracy" in err and "low must be a number" in err and "'<' not supported" not in err


# 9. Ctrl-C, SIGTERM, NaN


def _interrupt(tmp_path, sig, *extra):
    src, out = tmp_path / "big.jsonl", tmp_path / "out.jsonl"
    src.write_text(GOOD.replace('"1"}', '"2"}') * 200_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "verifiers", "score", str(src), "-o", str(out), "-q", "--batch-size", "64", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until rows are being written
        temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        if temps and temps[0].stat().st_size > 10_000:
            break
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err.decode(), out


def test_ctrl_c_says_how_many_rows_were_written_and_exits_130(tmp_path):
    code, err, out = _interrupt(tmp_path, signal.SIGINT)
    assert code == 130, err
    assert "Traceback" not in err and "interrupted after" in err and "rows were written" in err
    assert not out.exists()
    assert Path(str(out) + ".partial").exists()


def test_ctrl_c_with_worker_processes_stops_promptly(tmp_path):
    """With --jobs, batches are scored on a helper thread by worker processes: Ctrl-C still ends
    the run at once, kills the workers and keeps what was written."""
    code, err, out = _interrupt(tmp_path, signal.SIGINT, "--jobs", "2")
    assert code == 130, err
    assert "Traceback" not in err and "interrupted after" in err
    assert not out.exists() and Path(str(out) + ".partial").exists()


def test_sigterm_stops_cleanly_and_exits_143(tmp_path):
    code, err, _ = _interrupt(tmp_path, signal.SIGTERM)
    assert code == 143, err
    assert "Traceback" not in err and "semaphore" not in err and "terminated after" in err


def test_nan_in_the_input_is_written_as_json(tmp_path, capsys):
    src = tmp_path / "nan.jsonl"
    src.write_text('{"completion": "\\\\boxed{1}", "solution": "1", "score": NaN, "x": [Infinity]}\n')
    code, rows, _ = run(["score", str(src)], capsys)
    assert code == 0 and rows[0]["score"] is None and rows[0]["x"] == [None]


def test_a_verdict_cannot_carry_nan():
    from verifiers import Status, Verdict

    with pytest.raises(ValueError):
        Verdict(float("nan"), Status.SCORED)


# 10. a script that uses the process pool without the __main__ guard gets one clear error


def test_pool_without_main_guard_gives_one_clear_error(tmp_path):
    script = tmp_path / "noguard.py"
    script.write_text(
        "from verifiers import LanguageConsistency, ProcessPool\n"
        "reward = LanguageConsistency(backend=ProcessPool(jobs=2, timeout=5))\n"
        "print(reward(['<think>plain English words here</think> done']))\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode != 0
    assert proc.stderr.count("Traceback") == 1
    assert 'if __name__ == "__main__":' in proc.stderr


# 11. the help text and its copy in the docs


def test_help_lists_exit_codes():
    proc = cli("score", "--help")
    assert proc.returncode == 0
    for code in (b"0 ", b"1 ", b"2 ", b"3 ", b"130"):
        assert code in proc.stdout


def test_docs_show_the_real_help():
    doc = (ROOT / "docs" / "cli.md").read_text()
    env = {**os.environ, "COLUMNS": "100"}
    for args in (["--help"], ["score", "--help"], ["eval", "--help"], ["filter", "--help"], ["report", "--help"]):
        proc = subprocess.run([sys.executable, "-m", "verifiers", *args], capture_output=True, text=True, env=env)
        block = f"## `verify {' '.join(args)}` (verbatim)\n\n```\n{proc.stdout}```"
        assert block in doc, f"docs/cli.md lacks the current output of verify {' '.join(args)}"


def test_a_device_or_pipe_is_written_to_never_replaced(tmp_path, capsys):
    """`-o /dev/null` (run as root here) must not swap the device for a regular file."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    src = tmp_path / "in.jsonl"
    src.write_text(GOOD * 3)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    assert main(["score", str(src), "-o", str(fifo), "-q"]) == 0
    out, _ = reader.communicate(timeout=30)
    assert len(out.splitlines()) == 3 and stat_is_fifo(fifo)
    assert main(["score", str(src), "-o", os.devnull, "-q"]) == 0
    assert not os.path.isfile(os.devnull)
    capsys.readouterr()


def stat_is_fifo(path) -> bool:
    import stat

    return stat.S_ISFIFO(os.stat(path).st_mode)
