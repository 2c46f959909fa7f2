"""Tests of answer extraction (``verifiers.extract.answer``): which box or tag is read, and
that hostile inputs are scanned in linear time."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifiers.extract.answer import MAX_ANSWER_CHARS, extract_answer, last_boxed, last_tag_content

from strategies import texts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"\boxed{1}", "1"),
        (r"\boxed{1} and \boxed{2}", "2"),
        (r"\boxed{\frac{a}{b}}", r"\frac{a}{b}"),
        (r"\boxed{\{1,2\}}", r"\{1,2\}"),  # escaped braces do not count
        (r"\boxed{a\\}", "a\\\\"),  # an escaped backslash before the closing brace
        (r"\fbox{3}", "3"),
        (r"\boxed{1} \fbox{2}", "2"),
        (r"\boxed 7.", "7"),
        (r"\boxed   {8}", "8"),
        (r"\boxed{}", ""),
        (r"\boxed{1} \boxed{2", None),  # truncated last box: no answer, not the earlier one
        (r"\boxed", None),
        ("no box", None),
    ],
)
def test_last_boxed(text, expected):
    assert last_boxed(text) == expected


def test_last_boxed_limit():
    assert last_boxed(r"\boxed{" + "1" * 10 + "}", limit=5) is None
    assert last_boxed(r"\boxed{" + "1" * 5 + "}", limit=5) == "11111"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<answer>1</answer>", "1"),
        ("<answer>1</answer><answer>2</answer>", "2"),
        ("<answer>open", None),
        ("close</answer>", None),
        ("<ANSWER>1</ANSWER>", None),  # tags are case-sensitive
    ],
)
def test_last_tag_content(text, expected):
    assert last_tag_content(text, "answer") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"<think>\boxed{3}</think><answer>4</answer>", "4"),  # the tag beats a box outside it
        (r"<answer>so \boxed{5} it is</answer>", "5"),  # a box inside the tag beats the prose
        ("<answer>  </answer>", None),
        ("<answer></answer>", None),
        (r"<answer>\boxed{}</answer>", None),  # an empty box inside a tag: no answer
        (r"thus \boxed{ x+1 }", "x+1"),
        (r"\boxed{ }", None),
        ("The answer is 5.", None),
        ("<answer>" + "1" * (MAX_ANSWER_CHARS + 1) + "</answer>", None),
        ("<answer>" + "1" * MAX_ANSWER_CHARS + "</answer>", "1" * MAX_ANSWER_CHARS),
    ],
)
def test_extract_answer(text, expected):
    assert extract_answer(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x" * 1_000_000 + r"\boxed{1}" * 10_000, "1"),  # the last box
        (r"\boxed{" + "{" * 50_000 + "1" + "}" * 50_000 + "}", None),  # not closed within the limit
        ("<answer>" * 100_000 + "</answer>" * 100_000, None),  # the content is longer than the limit
        (r"\boxed{" * 100_000, None),  # never closed
        (("\\" * 200_000) + r"\boxed{1}", "1"),
    ],
    ids=["1mb-10k-boxes", "50k-nested-braces", "100k-tags", "100k-open-boxes", "backslashes"],
)
def test_hostile_inputs_are_linear(text, expected):
    start = time.perf_counter()
    assert extract_answer(text) == expected
    # Not a speed test (a loaded CI machine must not fail it): only a hang or a super-linear
    # blow-up (a quadratic scan of a megabyte) exceeds this. A few ms in practice.
    assert time.perf_counter() - start < 60.0


@settings(max_examples=200, deadline=None)
@given(text=texts)
def test_extract_never_raises_and_is_bounded(text):
    answer = extract_answer(text)
    assert answer is None or (len(answer) <= MAX_ANSWER_CHARS and answer == answer.strip())


@settings(max_examples=100, deadline=None)
@given(answer=st.text(alphabet="0123456789+-x^()=.,abc ", min_size=1, max_size=30).map(str.strip).filter(bool))
def test_a_boxed_answer_is_read_back(answer):
    assert extract_answer(f"<think>work</think> so $\\boxed{{{answer}}}$.") == answer
    assert extract_answer(f"<answer>{answer}</answer>") == answer
