"""`verify eval` and `verify filter`: numbers, problems with line numbers, exit codes, outputs."""

from __future__ import annotations

import json

import pytest

from verifiers.cli import main

# three prompts, four samples each: p1 answers 1/2 two ways and 3 twice (a tie the first answer
# wins), p2 is right once and outvoted by 8, p3 is right three times in two spellings
SAMPLES = {
    "p1": ("gsm8k", r"\frac{1}{2}", [r"\boxed{0.5}", r"\boxed{1/2}", r"\boxed{3}", r"\boxed{3}"]),
    "p2": ("gsm8k", "7", [r"\boxed{7}", r"\boxed{8}", r"\boxed{8}", "no answer here"]),
    "p3": ("math", "x^2", [r"\boxed{x^2}", r"\boxed{x\cdot x}", r"\boxed{x^2}", r"\boxed{2x}"]),
}


def rows(samples=SAMPLES, **extra):
    out = []
    for pid, (source, solution, completions) in samples.items():
        for c in completions:
            out.append({"prompt_id": pid, "prompt": f"question {pid}", "data_source": source, "solution": solution,
                        "completion": c, **extra})
    return out


def write(path, records, extra_lines=()):
    lines = [json.dumps(r) for r in records]
    for index, text in extra_lines:
        lines.insert(index, text)
    path.write_text("\n".join(lines) + "\n")
    return path


def run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # a usage error, reported by argparse
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(argv, capsys):
    code, out, err = run([*argv, "--json"], capsys)
    return code, (json.loads(out) if out.strip() else None), err


def test_eval_reports_pass_at_k_maj_at_k_and_statuses(tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", rows())
    code, result, err = run_json(["eval", str(src), "--k", "1,2,4"], capsys)
    assert code == 0, err
    overall = result["overall"]
    assert overall["n_prompts"] == 3 and overall["samples_per_prompt"] == 4
    # per prompt: 2/4, 1/4, 3/4 correct
    assert overall["pass@1"] == pytest.approx(0.5)
    assert overall["pass@2"] == pytest.approx((5 / 6 + 1 / 2 + 1) / 3)
    assert overall["pass@4"] == 1.0
    # maj@4: p1 ties {0.5, 1/2} with {3, 3}: the first answer's cluster wins; p2 elects 8; p3 x^2
    assert overall["maj@4"] == pytest.approx(2 / 3)
    assert overall["maj@1"] == 1.0
    assert overall["statuses"] == {"correct": 6, "incorrect": 5, "no_answer": 1}
    low, high = overall["pass@1_ci"]
    assert 0.25 <= low <= 0.5 <= high <= 0.75
    assert set(result["by"]) == {"gsm8k", "math"}
    assert result["by"]["gsm8k"]["pass@1"] == pytest.approx(0.375) and result["by"]["math"]["maj@4"] == 1.0
    assert result["signature"].startswith("total(none:propagate)[1*accuracy|")
    assert "signature" in err


def test_equivalent_spellings_win_the_vote_together(tmp_path, capsys):
    samples = {"q": ("s", "1/2", [r"\boxed{3}", r"\boxed{3}", r"\boxed{\frac{1}{2}}", r"\boxed{0.5}", r"\boxed{1/2}"])}
    src = write(tmp_path / "in.jsonl", rows(samples))
    code, result, _ = run_json(["eval", str(src), "--k", "5"], capsys)
    assert code == 0 and result["overall"]["maj@5"] == 1.0
    # (by string equality "3" would win, two votes to one each)
    # one spelling fewer: a 2-2 tie, which the answer seen first ("3") wins
    samples = {"q": ("s", "1/2", [r"\boxed{3}", r"\boxed{3}", r"\boxed{\frac{1}{2}}", r"\boxed{0.5}", r"\boxed{4}"])}
    src = write(tmp_path / "in.jsonl", rows(samples))
    code, result, _ = run_json(["eval", str(src), "--k", "5"], capsys)
    assert code == 0 and result["overall"]["maj@5"] == 0.0


def test_the_tie_rule_decides_by_first_seen_answer(tmp_path, capsys):
    first_wrong = {"q": ("s", "1/2", [r"\boxed{3}", r"\boxed{0.5}", r"\boxed{3}", r"\boxed{1/2}"])}
    first_right = {"q": ("s", "1/2", [r"\boxed{0.5}", r"\boxed{3}", r"\boxed{3}", r"\boxed{1/2}"])}
    for samples, expected in ((first_wrong, 0.0), (first_right, 1.0)):
        src = write(tmp_path / "in.jsonl", rows(samples))
        code, result, _ = run_json(["eval", str(src), "--k", "4"], capsys)
        assert code == 0 and result["overall"]["maj@4"] == expected


def test_scored_rows_are_read_as_scored_and_give_the_same_numbers(tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", rows())
    scored = tmp_path / "scored.jsonl"
    assert main(["score", str(src), "-o", str(scored), "-q"]) == 0
    capsys.readouterr()
    _, fresh, _ = run_json(["eval", str(src), "--k", "1,4"], capsys)
    code, read, _ = run_json(["eval", str(scored), "--k", "1,4"], capsys)
    assert code == 0 and read == fresh
    # read, not rescored: a changed verdict in the file changes the result
    lines = scored.read_text().splitlines()
    row = json.loads(lines[4])  # p2's first sample, the only correct one
    row["verify"]["rewards"]["accuracy"].update(status="incorrect", reward=0.0)
    lines[4] = json.dumps(row)
    scored.write_text("\n".join(lines) + "\n")
    _, changed, _ = run_json(["eval", str(scored), "--k", "1,4"], capsys)
    assert changed["overall"]["pass@1"] == pytest.approx((0.5 + 0 + 0.75) / 3)


def test_k_larger_than_the_samples_is_refused_with_exit_2(tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", rows())
    code, out, err = run(["eval", str(src), "--k", "1,8"], capsys)
    assert code == 2 and out == ""
    assert "k=8 is larger than the 4 graded samples of prompt 'p1' (and 2 other prompts)" in err


@pytest.mark.parametrize("bad", ["0", "a", "1,,x", ""])
def test_bad_k_is_a_usage_error(tmp_path, bad, capsys):
    src = write(tmp_path / "in.jsonl", rows())
    with pytest.raises(SystemExit) as info:
        main(["eval", str(src), "--k", bad])
    assert info.value.code == 2
    capsys.readouterr()


def test_malformed_lines_are_reported_left_out_and_exit_1(tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", rows(), extra_lines=[(2, "{not json"), (6, "[1]")])
    code, result, err = run_json(["eval", str(src), "--k", "4"], capsys)
    assert code == 1
    assert "line 3:" in err and "line 7:" in err and "malformed_input" in err
    assert result["overall"]["n_prompts"] == 3 and result["overall"]["pass@1"] == pytest.approx(0.5)


def test_rows_without_an_id_are_grouped_by_prompt_text_or_reported(tmp_path, capsys):
    records = rows()
    for r in records:
        del r["prompt_id"]
    records[5].pop("prompt")
    src = write(tmp_path / "in.jsonl", records)
    code, result, err = run_json(["eval", str(src), "--k", "3"], capsys)
    assert code == 1 and "line 6: no 'prompt_id' or 'prompt' to group the row by" in err
    assert result["overall"]["n_prompts"] == 3 and result["overall"]["samples_per_prompt"] == 3


def test_rows_scored_with_another_signature_are_refused_one_by_one(tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", rows())
    scored = tmp_path / "scored.jsonl"
    main(["score", str(src), "-o", str(scored), "-q"])
    other = tmp_path / "other.jsonl"
    main(["score", str(src), "-o", str(other), "-q", "--set", "accuracy.low=-1"])
    capsys.readouterr()
    mixed = scored.read_text().splitlines()[:11] + other.read_text().splitlines()[11:]
    scored.write_text("\n".join(mixed) + "\n")
    code, result, err = run_json(["eval", str(scored), "--k", "1"], capsys)
    assert code == 1 and "line 12:" in err and "another signature" in err
    assert result["overall"]["statuses"]["correct"] + result["overall"]["statuses"]["incorrect"] == 10


def test_by_column_and_default(tmp_path, capsys):
    records = rows()
    src = write(tmp_path / "in.jsonl", records)
    _, result, _ = run_json(["eval", str(src), "--by", "prompt_id"], capsys)
    assert set(result["by"]) == {"p1", "p2", "p3"} and result["by"]["p3"]["pass@1"] == 0.75
    for r in records:
        del r["data_source"]
    src = write(tmp_path / "in.jsonl", records)
    _, result, _ = run_json(["eval", str(src)], capsys)
    assert result["by"] == {} and result["overall"]["n_prompts"] == 3


def test_the_table(tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", rows())
    code, out, _ = run(["eval", str(src), "--k", "1,4"], capsys)
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["data_source", "prompts", "samples", "pass@1", "95%", "CI", "pass@4", "maj@1", "maj@4"]
    assert lines[2].split()[:4] == ["gsm8k", "2", "4", "0.3750"]
    assert lines[4].split()[0] == "overall" and lines[4].split()[3] == "0.5000"
    assert "accuracy statuses: correct 6, incorrect 5, no_answer 1" in out


def test_eval_with_another_reward_as_the_part(tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", rows())
    code, result, _ = run_json(["eval", str(src), "-r", "format", "-r", "accuracy"], capsys)
    assert code == 0 and result["overall"]["pass@1"] == 0.5  # accuracy is the part when scored
    code, result, _ = run_json(["eval", str(src), "-r", "format", "-r", "accuracy", "--part", "format"], capsys)
    assert code == 0 and result["overall"]["pass@1"] == 0.0  # no <think> in these completions
    assert result["overall"]["statuses"] == {"bad_format": 12}


# -- filter ---------------------------------------------------------------------------------------


def sft_rows(text):
    return [json.loads(line) for line in text.splitlines()]


def test_filter_keeps_correct_rows_as_chat_sft(tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", rows())
    out = tmp_path / "sft.jsonl"
    code, _, err = run(["filter", str(src), "--require", "accuracy", "-o", str(out), "--stats"], capsys)
    kept = sft_rows(out.read_text())
    assert code == 0
    # six correct, one of them a duplicate (p3's second \boxed{x^2})
    assert len(kept) == 5 and "12 rows, 5 kept, 7 dropped: 6 accuracy<1, 1 duplicate" in err
    assert [r["prompt_id"] for r in kept] == ["p1", "p1", "p2", "p3", "p3"]
    for r in kept:
        assert [m["role"] for m in r["messages"]] == ["user", "assistant"]
        assert all(isinstance(m["content"], str) for m in r["messages"])
        assert r["signature"].startswith("total(")
    stats = json.loads(next(line for line in err.splitlines() if line.startswith("{")))
    assert stats["dropped"]["accuracy<1"] == 6 and stats["kept"] == 5


def test_filter_limits_per_prompt_and_can_keep_duplicates(tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", rows())
    code, out, _ = run(["filter", str(src), "--require", "accuracy", "-n", "1"], capsys)
    assert code == 0 and [r["prompt_id"] for r in sft_rows(out)] == ["p1", "p2", "p3"]
    code, out, _ = run(["filter", str(src), "--require", "accuracy", "--keep-duplicates"], capsys)
    assert len(sft_rows(out)) == 6


def test_filter_default_criteria_are_r1s(tmp_path, capsys):
    ok = "<think>I add the two halves of the number and check the result twice.</think><answer>\\boxed{7}</answer>"
    records = [
        {"prompt_id": "a", "prompt": "q", "solution": "7", "completion": ok},
        {"prompt_id": "a", "prompt": "q", "solution": "7", "completion": "\\boxed{7}"},  # no template
        {"prompt_id": "a", "prompt": "q", "solution": "7", "completion": ok.replace("7", "8")},  # wrong
        {"prompt_id": "a", "prompt": "q", "solution": "7",
         "completion": ok.replace(
             "I add the two halves", "Je additionne les deux moitiés du nombre, puis je vérifie le résultat et encore"
         )},  # not English
    ]
    src = write(tmp_path / "in.jsonl", records)
    code, out, err = run(["filter", str(src), "--stats"], capsys)
    assert code == 0, err
    assert [r["messages"][1]["content"] for r in sft_rows(out)] == [ok]
    stats = json.loads(next(line for line in err.splitlines() if line.startswith("{")))
    assert stats["dropped"] == {"accuracy<1": 1, "format<1": 1, "language_consistency<0.95": 1, "duplicate": 0,
                                "over_limit": 0, "unreadable": 0}


def test_filter_reports_bad_lines_and_keeps_going(tmp_path, capsys):
    records = rows()
    records[0]["prompt"] = 5
    src = write(tmp_path / "in.jsonl", records, extra_lines=[(1, "{oops")])
    out = tmp_path / "sft.jsonl"
    code, _, err = run(["filter", str(src), "--require", "accuracy", "-o", str(out)], capsys)
    assert code == 1 and "line 2:" in err and "line 1: field 'prompt' is not text or chat messages" in err
    assert len(sft_rows(out.read_text())) == 4


def test_filter_output_loads_with_datasets(tmp_path, capsys):
    datasets = pytest.importorskip("datasets")
    src = write(tmp_path / "in.jsonl", rows())
    out = tmp_path / "sft.jsonl"
    assert main(["filter", str(src), "--require", "accuracy", "-o", str(out)]) == 0
    capsys.readouterr()
    ds = datasets.load_dataset("json", data_files=str(out), split="train")
    assert ds.num_rows == 5 and ds[0]["messages"][1]["role"] == "assistant"


# -- score --resume ---------------------------------------------------------------------------------


def crash_after(monkeypatch, batches):
    """Make scoring die (as a crashed worker does) on batch number ``batches + 1``."""
    from verifiers.errors import WorkerCrashed
    from verifiers.shaping.combine import WeightedSum

    original = WeightedSum.score_parts
    calls = {"n": 0}

    def dying(self, completions, **columns):
        calls["n"] += 1
        if calls["n"] > batches:
            raise WorkerCrashed("worker died (exit code -9)", index=0)
        return original(self, completions, **columns)

    monkeypatch.setattr(WeightedSum, "score_parts", dying)
    return calls


def test_resume_continues_a_partial_output_without_rescoring(tmp_path, monkeypatch, capsys):
    src = write(tmp_path / "in.jsonl", rows(), extra_lines=[(3, "{bad line")])
    reference = tmp_path / "ref.jsonl"
    assert main(["score", str(src), "-o", str(reference), "-q"]) == 1
    out = tmp_path / "out.jsonl"
    calls = crash_after(monkeypatch, 2)
    assert main(["score", str(src), "-o", str(out), "--batch-size", "4", "-q"]) == 3
    partial = tmp_path / "out.jsonl.partial"
    assert len(partial.read_text().splitlines()) == 8 and not out.exists()
    monkeypatch.undo()
    calls = crash_after(monkeypatch, 100)
    code, _, err = run(["score", str(src), "-o", str(out), "--batch-size", "4", "-q", "--resume"], capsys)
    assert code == 1  # the bad line (in the resumed part) still counts as a data problem
    assert "resuming after the 8 rows" in err and "line 4:" in err
    assert calls["n"] == 2  # only the 5 remaining rows were scored, in two batches
    assert out.read_text() == reference.read_text() and not partial.exists()


def test_resume_rescores_a_row_cut_short_by_the_crash(tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", rows())
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), "-o", str(out), "-q"]) == 0
    reference = out.read_text()
    lines = reference.splitlines(keepends=True)
    (tmp_path / "out.jsonl.partial").write_text("".join(lines[:5]) + lines[5][:30])
    out.unlink()
    assert main(["score", str(src), "-o", str(out), "-q", "--resume"]) == 0
    assert out.read_text() == reference
    assert "resuming after the 5 rows" in capsys.readouterr().err


def test_resume_refuses_another_input_or_other_rewards(tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", rows())
    out = tmp_path / "out.jsonl"
    partial = tmp_path / "out.jsonl.partial"
    main(["score", str(src), "-o", str(partial), "-q"])
    kept = partial.read_text()
    capsys.readouterr()
    code, _, err = run(["score", str(src), "-o", str(out), "-q", "--resume", "--set", "accuracy.low=-1"], capsys)
    assert code == 2 and "another signature" in err and partial.read_text() == kept and not out.exists()
    changed = rows()
    changed[3]["solution"] = "4"
    write(src, changed)
    code, _, err = run(["score", str(src), "-o", str(out), "-q", "--resume"], capsys)
    assert code == 2 and "row 4 of" in err and "not made from line 4" in err
    assert partial.read_text() == kept and not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    write(src, changed[:5])
    code, _, err = run(["score", str(src), "-o", str(out), "-q", "--resume"], capsys)
    assert code == 2 and "row 4 of" in err  # the first difference is found before the input runs out


def test_resume_needs_a_partial_file(tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", rows())
    for argv in (["-o", str(tmp_path / "nothing.jsonl")], []):
        with pytest.raises(SystemExit) as info:
            main(["score", str(src), "--resume", *argv])
        assert info.value.code == 2
    assert "--resume continues" in capsys.readouterr().err


def test_eval_with_worker_processes_and_from_standard_input(tmp_path, capsys, monkeypatch):
    import io

    src = write(tmp_path / "in.jsonl", rows())
    _, serial, _ = run_json(["eval", str(src), "--k", "1,4"], capsys)
    code, pooled, _ = run_json(["eval", str(src), "--k", "1,4", "-j", "1"], capsys)
    assert code == 0 and pooled == serial
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(src.read_bytes())))
    code, piped, _ = run_json(["eval", "-", "--k", "1,4"], capsys)
    assert code == 0 and piped == serial


def test_filter_output_passes_trls_conversational_check(tmp_path, capsys):
    from optional import require

    require("trl", install="pip install torch==2.13.0 'reasoning-verifiers[trl]'")
    from trl.data_utils import is_conversational

    src = write(tmp_path / "in.jsonl", rows())
    code, out, _ = run(["filter", str(src), "--require", "accuracy"], capsys)
    kept = sft_rows(out)
    assert code == 0 and kept and all(is_conversational(r) for r in kept)


def test_verdicts_that_break_the_contract_are_reported_not_counted(tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", rows())
    scored = tmp_path / "scored.jsonl"
    main(["score", str(src), "-o", str(scored), "-q"])
    capsys.readouterr()
    lines = [json.loads(line) for line in scored.read_text().splitlines()]
    lines[0]["verify"]["rewards"]["accuracy"]["reward"] = None  # "correct" with a null reward
    lines[1]["verify"]["rewards"]["accuracy"]["status"] = "great"  # no such status
    lines[2]["verify"]["rewards"]["accuracy"]["status"] = ["correct"]  # not a string
    lines[3]["verify"]["rewards"]["accuracy"]["reward"] = "1"  # not a number
    scored.write_text("".join(json.dumps(r) + "\n" for r in lines))
    code, result, err = run_json(["eval", str(scored), "--k", "1"], capsys)
    assert code == 1
    for n in (1, 2, 3, 4):
        assert f"line {n}: row: malformed_input:" in err
    assert result["overall"]["statuses"] == {"correct": 4, "incorrect": 3, "no_answer": 1}
