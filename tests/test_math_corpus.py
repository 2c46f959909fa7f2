"""The hand-labelled math corpus (``tests/golden/math_corpus.jsonl``, see its README) against
``accuracy_reward``, and against math-verify in the same run.

Every row must get its label, except the rows in ``KNOWN_MISSES`` (strict expected failures,
each with the reason: a row that starts passing must leave the list). No row may be a false
"correct", listed or not.
"""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from pathlib import Path

import pytest

from verifiers import accuracy_reward

from optional import require

CORPUS = Path(__file__).parent / "golden" / "math_corpus.jsonl"
ROWS = [json.loads(line) for line in CORPUS.open(encoding="utf-8") if line.strip()]


def build(completion: str | dict) -> str:
    if isinstance(completion, str):
        return completion
    return "".join(text * count for text, count in completion["parts"])


_DECIMAL_COMMA = "a decimal comma with one decimal (3,5) is read as a list of two numbers"
#: Rows we get wrong today, and why. Each is a strict xfail.
KNOWN_MISSES = {
    "hand-mixed-language-03": _DECIMAL_COMMA,
    "hand-vector-07": "i, j, k unit-vector notation is not read as a vector",
    "mv-open-thoughts-237": "boxes separated by prose ('for part (a) and') are not one answer; the last box is",
    "mv-open-thoughts-247": "assignments with subscripted names and expressions on the right are not paired",
    "hand-degrees-13": "minutes of arc (72° 30') are not read",
    "hand-hostile-16": "formulas over 1000 characters are not read (a cap on the input)",
    "hand-hostile-26": "boxes over 1000 characters are no answer (a cap on the input)",
}


def _param(row: dict):
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[row["id"]])] if row["id"] in KNOWN_MISSES else []
    return pytest.param(row, marks=marks, id=row["id"])


def test_known_misses_name_real_rows():
    assert set(KNOWN_MISSES) <= {r["id"] for r in ROWS}


@pytest.mark.parametrize("row", [_param(r) for r in ROWS])
def test_corpus_row(row):
    verdict = accuracy_reward.score([build(row["completion"])], solution=[row["solution"]])[0]
    assert verdict.reward == row["expected"], (row["why"], verdict)


def test_no_false_positive_anywhere():
    texts = [build(r["completion"]) for r in ROWS]
    got = accuracy_reward(completions=texts, solution=[r["solution"] for r in ROWS])
    false_positives = [r["id"] for r, g in zip(ROWS, got) if g == 1.0 and r["expected"] != 1.0]
    assert false_positives == []


def _math_verify(completion: str, solution) -> float | None:
    from math_verify import parse, verify

    gold = solution if isinstance(solution, str) else ("" if solution is None else str(solution))
    if gold.strip() and "$" not in gold and "\\boxed" not in gold and "####" not in gold:
        gold = f"${gold}$"
    parsed = parse(gold, parsing_timeout=5)
    if not parsed:
        return None
    return 1.0 if verify(parsed, parse(completion, parsing_timeout=5), timeout_seconds=5) else 0.0


#: Kinds where math-verify is right more often than we are today (open in issue #8).
BEHIND: set[str] = set()


@pytest.mark.slow
def test_accuracy_per_kind_against_math_verify():
    """Both graders on every non-hostile row (math-verify's signal timeouts need the main thread;
    hostile rows make its verdict depend on the machine's load): every disagreement is a row
    where the hand label agrees with us, or a listed miss; and kind by kind we are at least as
    accurate."""
    require("math_verify", install="pip install 'reasoning-verifiers[dev]'")
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    rows = [r for r in ROWS if r["kind"] != "hostile"]
    texts = [build(r["completion"]) for r in rows]
    ours = accuracy_reward(completions=texts, solution=[r["solution"] for r in rows])
    total, right, theirs_right = Counter(), Counter(), Counter()
    their_fp = 0
    wrong_where_they_differ = []
    for r, text, o in zip(rows, texts, ours):
        t = _math_verify(text, r["solution"])
        if o != t and o != r["expected"] and r["id"] not in KNOWN_MISSES:
            wrong_where_they_differ.append(r["id"])
        total[r["kind"]] += 1
        right[r["kind"]] += o == r["expected"]
        theirs_right[r["kind"]] += (t is None) if r["expected"] is None else (t == r["expected"])
        their_fp += t == 1.0 and r["expected"] != 1.0
    # every row where the two graders disagree: we have the hand label, or the row is a listed miss
    assert wrong_where_they_differ == []
    report = {k: (right[k] / total[k], theirs_right[k] / total[k]) for k in sorted(total)}
    print(json.dumps(report, indent=1), file=sys.stderr)
    assert sum(right.values()) > sum(theirs_right.values())
    behind = {k for k, (o, t) in report.items() if o < t}
    assert behind <= BEHIND, f"we fell behind math-verify on {behind - BEHIND}"
    assert behind == BEHIND, f"no longer behind on {BEHIND - behind}: shrink BEHIND"
