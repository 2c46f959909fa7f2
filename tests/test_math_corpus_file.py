"""Checks of the FILE ``tests/golden/math_corpus.jsonl`` (schema, ids, coverage), not of any grader.

The corpus is labelled by hand (see ``tests/golden/README.md``); the runner that grades it lives
elsewhere. This test only keeps the file well formed as it grows.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "golden" / "math_corpus.jsonl"

KINDS = frozenset(
    {
        "integer",
        "big_integer",
        "fraction",
        "decimal",
        "mixed_number",
        "radical",
        "pi",
        "percent",
        "degrees",
        "units",
        "scientific_notation",
        "plus_minus",
        "tuple",
        "set",
        "interval",
        "matrix",
        "vector",
        "expression",
        "equation",
        "inequality",
        "logarithm",
        "trig",
        "complex",
        "multiple_choice",
        "text_answer",
        "word_number",
        "no_answer",
        "bad_reference",
        "unboxed_latex",
        "plain_text",
        "r1_style",
        "chinese",
        "mixed_language",
        "trailing_punctuation",
        "hostile",
        "approximation",
    }
)
FIELDS = ("id", "kind", "source", "completion", "solution", "expected", "why")
MIN_ROWS = 500
MIN_PER_KIND = 15
#: A line must stay under this size unless the row is ``hostile`` (those may use ``parts``).
MAX_LINE_BYTES = 20_000
#: Kinds whose rows cannot mix correct and incorrect by construction.
ONE_SIDED = {"no_answer": {0.0}, "bad_reference": {None}}


def _lines() -> list[str]:
    return CORPUS.read_text(encoding="utf-8").splitlines()


def _rows() -> list[dict]:
    return [json.loads(line) for line in _lines()]


def test_every_line_is_a_json_object():
    for n, line in enumerate(_lines(), 1):
        assert line.strip(), f"line {n} is blank"
        assert isinstance(json.loads(line), dict), f"line {n} is not an object"


def test_schema():
    for row in _rows():
        assert tuple(row) == FIELDS, f"{row.get('id')}: fields {tuple(row)} != {FIELDS}"
        rid = row["id"]
        assert isinstance(rid, str) and rid.strip(), rid
        assert row["kind"] in KINDS, f"{rid}: unknown kind {row['kind']!r}"
        assert isinstance(row["source"], str) and row["source"].strip(), rid
        assert row["source"] == "hand" or row["source"].startswith(
            ("math-verify tests/", "trl tests/", "open-r1 tests/")
        ), f"{rid}: source {row['source']!r}"
        assert isinstance(row["solution"], str), rid
        assert isinstance(row["why"], str) and row["why"].strip(), rid
        exp = row["expected"]
        assert exp is None or (type(exp) is float and exp in (0.0, 1.0)), f"{rid}: expected {exp!r}"
        comp = row["completion"]
        if isinstance(comp, dict):
            assert set(comp) == {"parts"}, rid
            assert comp["parts"], rid
            for part in comp["parts"]:
                assert isinstance(part, list) and len(part) == 2, rid
                text, count = part
                assert isinstance(text, str) and text, rid
                assert type(count) is int and count >= 1, rid
        else:
            assert isinstance(comp, str), rid


def test_ids_are_unique():
    dupes = [i for i, c in Counter(r["id"] for r in _rows()).items() if c > 1]
    assert not dupes, dupes


def test_size_and_coverage():
    rows = _rows()
    assert len(rows) >= MIN_ROWS
    per_kind = Counter(r["kind"] for r in rows)
    thin = {k: per_kind[k] for k in KINDS if per_kind[k] < MIN_PER_KIND}
    assert not thin, f"kinds with fewer than {MIN_PER_KIND} rows: {thin}"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_mixes_outcomes(kind):
    values = {r["expected"] for r in _rows() if r["kind"] == kind}
    if kind in ONE_SIDED:
        assert values == ONE_SIDED[kind], values
    else:
        assert {0.0, 1.0} <= values, f"{kind}: only {values}"


def test_lines_stay_small_except_hostile_rows():
    for line in _lines():
        row = json.loads(line)
        if row["kind"] != "hostile":
            assert len(line.encode("utf-8")) < MAX_LINE_BYTES, row["id"]
