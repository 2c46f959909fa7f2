"""Hypothesis strategies shared by the tests (attrs keeps its strategies in one module, too)."""

from __future__ import annotations

from hypothesis import strategies as st

FRAGMENTS = [
    "<think>", "</think>", "<answer>", "</answer>", "\\boxed{", "}", "{", "\\frac{1}{2}", "0.5", "42",
    "-3", "x^2", "\n", "\r\n", " ", "the answer is", "因此答案是", "Ответ", "$", "\\sqrt{2}", "```python\n",
    "```", "<THINK>", "é", "😀", "1,000", "=",
    "Answer: B", "(C)", " or ", "3 + 4", "**", "Zoey is a knight", "Oliver: knave", " not ",
]

texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=14).map("".join)
solutions = st.one_of(
    st.sampled_from(["0.5", "\\frac{1}{2}", "42", "x^2", "1,000", "", "  ", "\\boxed{2}"]),
    st.integers(-1000, 1000).map(str),
    st.none(),
)
languages = st.one_of(st.sampled_from(["en", "zh", "fr", "ru", "ja", "xx"]), st.none())
# the puzzle rewards' columns (choice, countdown, knights_knaves)
puzzle_columns = st.fixed_dictionaries({
    "answer": st.one_of(st.sampled_from(["A", "B", "C", 2, "x"]), st.none()),
    "target": st.one_of(st.integers(-5, 60), st.sampled_from(["7/2", "x"]), st.none()),
    "nums": st.one_of(st.lists(st.integers(0, 12), min_size=1, max_size=4), st.none()),
    "names": st.one_of(st.sampled_from([["Zoey", "Oliver"], ["Ella"], []]), st.none()),
})


@st.composite
def rows(draw, group: int = 0) -> dict:
    text = draw(texts)
    return {
        "completion": text,
        "solution": draw(solutions),
        "language": draw(languages),
        "prompt_id": group,
        "prompts": f"prompt {group}",
        "completion_ids": list(range(draw(st.integers(0, 600)))),
        **draw(puzzle_columns),
    }


@st.composite
def grouped_batches(draw, max_groups: int = 4, max_group_size: int = 5) -> list[list[dict]]:
    """A batch as a list of prompt groups (rows of one group share prompt_id and prompts)."""
    n = draw(st.integers(1, max_groups))
    return [draw(st.lists(rows(group=g), min_size=1, max_size=max_group_size)) for g in range(n)]


def columns(batch: list[dict]) -> tuple[list, dict]:
    completions = [r["completion"] for r in batch]
    names = ("solution", "language", "prompt_id", "prompts", "completion_ids", "answer", "target", "nums", "names")
    cols = {k: [r[k] for r in batch] for k in names}
    return completions, cols
