"""``accuracy_reward``: is the final answer of a completion mathematically equal to the reference?"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from verifiers.base import RewardConfig, RowReward
from verifiers.errors import ConfigError
from verifiers.extract.answer import MAX_ANSWER_CHARS, extract_answer, last_boxed, last_tag_content
from verifiers.math.compare import compare_answers
from verifiers.types import Status, Verdict

__all__ = ["MathAccuracy", "MathConfig", "accuracy_reward", "grade_math", "reference_answer"]


@dataclass(frozen=True, kw_only=True)
class MathConfig(RewardConfig):
    """Config of :class:`MathAccuracy`.

    Args:
        low: Reward for a wrong or missing answer (model's fault).
        high: Reward for a correct answer.
        rel_tol: Relative tolerance for numeric comparison.
        symbolic: Try sympy equivalence after string and number comparison.
    """

    rel_tol: float = field(default=1e-6, metadata={"sig": "tol"})
    symbolic: bool = field(default=True, metadata={"sig": "sympy"})

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.rel_tol < 1:
            raise ConfigError(f"rel_tol must be in [0, 1), not {self.rel_tol}")


def _plain_number(value: float) -> str | None:
    """A JSON float as a plain decimal string (``1e-07`` -> ``0.0000001``); ``None`` for nan/inf."""
    if not math.isfinite(value):
        return None
    text = format(Decimal(repr(value)), "f")
    return text[:-2] if text.endswith(".0") else text


def reference_answer(solution: Any) -> str | None:
    """The gold answer inside a ``solution`` value, or ``None`` when nothing usable is there.

    In order: the last ``\\boxed{}`` of a full worked solution (MATH style), the text after the
    last ``####`` (GSM8K style), the last ``<answer>`` tag, else the whole value. Integers and
    floats (from JSON) are written as plain decimals. Booleans, containers, nan/inf, empty
    strings, a truncated ``\\boxed{`` and answers over ``MAX_ANSWER_CHARS`` are not usable.

    Args:
        solution: The row's ``solution`` value.

    Returns:
        The reference answer string, or ``None`` (the data's fault).

    >>> reference_answer(r"We get $x=2$, so \\boxed{2}."), reference_answer(42), reference_answer("  ")
    ('2', '42', None)
    >>> reference_answer("3 + 4 = 7 apples.\\n#### 7"), reference_answer(1e-07), reference_answer(True)
    ('7', '0.0000001', None)
    """
    if isinstance(solution, bool) or solution is None:
        return None
    if isinstance(solution, float):
        return _plain_number(solution)
    if isinstance(solution, (int, Fraction, Decimal)):
        return str(solution)
    if not isinstance(solution, str):
        return None
    text = solution
    if "\\boxed" in text or "\\fbox" in text:
        boxed = last_boxed(text)
        return (boxed.strip() or None) if boxed is not None else None
    if "####" in text:
        text = text[text.rindex("####") + 4 :]
    else:
        tagged = last_tag_content(text, "answer")
        if tagged is not None:
            text = tagged
    text = text.strip()
    return text if text and len(text) <= MAX_ANSWER_CHARS else None


def grade_math(text: str, solution: Any, config: MathConfig) -> Verdict:
    """The per-row kernel of :class:`MathAccuracy` (pure, never raises on model output).

    Args:
        text: The completion's text.
        solution: The row's ``solution`` value (see :func:`reference_answer`).
        config: The reward's config.

    Returns:
        ``correct`` (``config.high``); ``incorrect`` or ``no_answer`` (``config.low``, the
        model's fault); ``bad_reference`` (``None``) when the reference is missing, unusable
        or does not parse.

    >>> grade_math(r"... so the answer is \\boxed{\\frac{1}{2}}", "0.5", MathConfig()).status.value
    'correct'
    >>> grade_math("I don't know", "0.5", MathConfig()).status.value
    'no_answer'
    """
    gold = reference_answer(solution)
    if gold is None:
        return Verdict(None, Status.BAD_REFERENCE, detail="no usable reference answer in 'solution'")
    pred = extract_answer(text)
    if pred is None:
        return Verdict(config.low, Status.NO_ANSWER, detail="no \\boxed{} or <answer> found")
    result = compare_answers(pred, gold, rel_tol=config.rel_tol, symbolic=config.symbolic)
    if result.method == "gold-unparsed":
        return Verdict(None, Status.BAD_REFERENCE, extracted=pred, detail=f"reference {gold[:80]!r} does not parse")
    if result.equal:
        return Verdict(config.high, Status.CORRECT, extracted=pred, detail=f"equal by {result.method}")
    return Verdict(config.low, Status.INCORRECT, extracted=pred, detail=f"not equal ({result.method})")


class MathAccuracy(RowReward[MathConfig]):
    """Math answer accuracy against the ``solution`` column (TRL's column name).

    The answer is read from the last ``\\boxed{}`` (inside ``<answer>`` tags if present) or
    from the ``<answer>`` tags, then compared as normalized strings, as exact numbers
    (with ``rel_tol``), then with sympy. A missing or empty ``solution`` gives ``None``.

    >>> from verifiers import accuracy_reward
    >>> accuracy_reward([r"\\boxed{4}", "<answer>5</answer>", "no idea"], solution=["4", "4", "4"])
    [1.0, 0.0, 0.0]
    """

    name = "accuracy"
    config_class = MathConfig
    columns = ("solution",)

    def grade(self, text: str, row: Mapping[str, Any]) -> Verdict:
        return grade_math(text, row["solution"], self.config)


#: The default instance: ``from verifiers import accuracy_reward``.
accuracy_reward = MathAccuracy()
