"""``countdown_reward``: TinyZero's Countdown task, graded exactly and in bounded time.

The model gets numbers (``nums``) and a ``target`` and must write an equation that reaches the
target using each number once, with ``+ - * /`` and parentheses (Pan et al. 2025, TinyZero;
dataset ``Jiayi-Pan/Countdown-Tasks-3to4``). The equation is read from the last
``<answer>...</answer>`` and evaluated with exact rationals by :mod:`verifiers.puzzles.arith`,
never with ``eval``. See ``docs/rewards/countdown.md`` for the holes of TinyZero's script that
this one does not share.
"""

from __future__ import annotations

import math
import numbers
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from verifiers.base import RewardConfig, RowReward
from verifiers.errors import ConfigError
from verifiers.extract.answer import last_boxed
from verifiers.extract.tags import last_tag_content
from verifiers.puzzles.arith import MAX_DIGITS, ParseError, parse_expression
from verifiers.types import Status, Verdict

__all__ = [
    "CountdownConfig",
    "CountdownReward",
    "countdown_reward",
    "grade_countdown",
    "read_numbers",
    "read_target",
]

_TARGET_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+|/[1-9][0-9]*)?")
_LIMIT = 10**MAX_DIGITS
#: At most this many given numbers (a larger ``nums`` is not a Countdown row).
MAX_NUMS = 64


@dataclass(frozen=True, kw_only=True)
class CountdownConfig(RewardConfig):
    """Config of :class:`CountdownReward`.

    Args:
        low: Reward when the model is at fault (no answer, bad form, wrong numbers, wrong value).
        high: Reward for an equation that reaches the target.
        partial: Reward for a well-formed equation that uses the numbers by the rules but misses
            the target; ``None`` (default) means ``low``. TinyZero's ``format_score`` is 0.1;
            ours defaults to ``low`` (reward the format with a format reward, not inside
            accuracy). Must lie in ``[low, high]``.
        use: ``"exactly"``: every given number exactly once (TinyZero); ``"at_most"``: each
            given number at most once (the TV show's rule).
        max_chars: The longest equation read, in characters (after the ``<answer>`` tag is cut).
        max_depth: The deepest nesting of parentheses accepted.
    """

    partial: float | None = None
    use: Literal["exactly", "at_most"] = "exactly"
    max_chars: int = field(default=300, metadata={"sig": "chars"})
    max_depth: int = field(default=16, metadata={"sig": "depth"})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.partial is not None and not self.low <= self.partial <= self.high:
            raise ConfigError(f"partial ({self.partial}) must lie in [low, high] = [{self.low}, {self.high}]")
        if not 1 <= self.max_chars <= 10_000:
            raise ConfigError(f"max_chars must be in [1, 10000], not {self.max_chars}")
        if not 1 <= self.max_depth <= 100:
            raise ConfigError(f"max_depth must be in [1, 100], not {self.max_depth}")


def _integer(value: Any) -> int | None:
    if type(value) is int:
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and value.strip().isascii():
        return int(value.strip())
    return None


def read_numbers(nums: Any) -> tuple[int, ...] | None:
    """The given numbers of a row, or ``None`` when the value is unusable (the data's fault).

    A list or tuple (or array) of 1 to :data:`MAX_NUMS` integers (integral floats and integer
    strings too), each of at most :data:`~verifiers.puzzles.arith.MAX_DIGITS` digits.

    >>> read_numbers([44, 19, 35]), read_numbers(["3", 4.0]), read_numbers("[1, 2]"), read_numbers([])
    ((44, 19, 35), (3, 4), None, None)
    """
    if type(nums) in (list, tuple) and all(type(v) is int for v in nums):  # the common case
        if 1 <= len(nums) <= MAX_NUMS and all(-_LIMIT < v < _LIMIT for v in nums):
            return tuple(nums)
        return None
    if isinstance(nums, (str, bytes, Mapping)) or not hasattr(nums, "__len__") or not hasattr(nums, "__iter__"):
        return None
    if not 1 <= len(nums) <= MAX_NUMS:
        return None
    out = []
    for value in nums:
        number = _integer(value)
        if number is None or len(str(abs(number))) > MAX_DIGITS:
            return None
        out.append(number)
    return tuple(out)


def read_target(target: Any) -> Fraction | None:
    """The target of a row as an exact number, or ``None`` when unusable (the data's fault).

    >>> read_target(98), read_target("98"), read_target(2.5), read_target("7/2"), read_target("1e9999999")
    (Fraction(98, 1), Fraction(98, 1), Fraction(5, 2), Fraction(7, 2), None)
    >>> read_target(float("nan")), read_target(True), read_target("1/0")
    (None, None, None)
    """
    if type(target) is int:
        return Fraction(target)
    if isinstance(target, bool) or target is None:
        return None
    if isinstance(target, numbers.Rational):
        return Fraction(int(target.numerator), int(target.denominator))
    if isinstance(target, float):
        return Fraction(str(target)) if math.isfinite(target) else None
    if isinstance(target, Decimal):
        target = str(target)
    if isinstance(target, str):
        text = target.strip()
        # no exponents: "1e999999999" would build a billion-digit integer
        if not text or len(text) > 2 * MAX_DIGITS + 1 or not _TARGET_TEXT.fullmatch(text):
            return None
        return Fraction(text)
    return None


def _answer_text(text: str) -> str | None:
    """The equation inside the last ``<answer>`` tag: a ``\\boxed{}`` in it, ``$``, backticks,
    Markdown bold around it and one final period removed."""
    content = last_tag_content(text, "answer")
    if content is None:
        return None
    if "\\boxed" in content:
        boxed = last_boxed(content)
        content = boxed if boxed is not None else content
    content = content.strip()
    for wrapper in ("$$", "$", "\\(", "\\)", "\\[", "\\]", "`"):
        content = content.replace(wrapper, " ")
    content = content.strip()
    if len(content) > 4 and content.startswith("**") and content.endswith("**"):  # Markdown bold
        content = content[2:-2].strip()
    if content.endswith("."):
        content = content[:-1].rstrip()
    return content


def _split_equation(equation: str) -> tuple[str, Fraction | None]:
    """``(expression, claimed value)``: ``expr = N`` and ``N = expr`` are read; the claim is the
    side that is a bare integer.

    Raises:
        ParseError: more than one ``=``, or neither side is a bare integer.
    """
    if "=" not in equation:
        return equation, None
    left, _, right = equation.partition("=")
    if "=" in right:
        raise ParseError("more than one '=' in the answer")
    for claim, expression in ((right, left), (left, right)):
        bare = claim.strip()
        number = bare[1:] if bare.startswith("-") else bare
        if number.isascii() and number.isdigit() and len(number) <= MAX_DIGITS:
            return expression, Fraction(int(bare))
    raise ParseError("an equation with '=' must have a bare number on one side")


def _usage_problem(used: tuple[int, ...], given: tuple[int, ...], use: str) -> str | None:
    if len(used) == len(given) and sorted(used) == sorted(given):
        return None
    have, need = Counter(used), Counter(given)
    for number, count in have.items():
        if number not in need:
            return f"{number} is not one of the given numbers"
        if count > need[number]:
            return f"{number} is used {count} times but given {need[number]}"
    if use == "exactly":
        missing = sorted((need - have).elements())
        if missing:
            return "does not use " + ", ".join(map(str, missing))
    return None


def grade_countdown(text: str, target: Any, nums: Any, config: CountdownConfig) -> Verdict:
    """The per-row kernel of :class:`CountdownReward` (pure; never raises on model output).

    Checks, in order: the reference (``None``, ``bad_reference``), an answer tag
    (``no_answer``), the form of the equation (``bad_format``), the numbers used
    (``incorrect``), division by zero (``incorrect``), the value (``correct``, or
    ``incorrect`` with ``config.partial``).

    Args:
        text: The completion's text.
        target: The row's ``target``.
        nums: The row's ``nums``.
        config: The reward's config.

    >>> c = CountdownConfig()
    >>> grade_countdown("<answer>(44 - 19) * 35 / 35</answer>", 25, [44, 19, 35, 35], c).status.value
    'correct'
    >>> grade_countdown("<answer>44 + 19 + 35</answer>", 98, [44, 19, 35], c).reward
    1.0
    >>> grade_countdown("<answer>44 + 44 + 10</answer>", 98, [44, 19, 35], c).detail
    '44 is used 2 times but given 1'
    """
    goal = read_target(target)
    given = read_numbers(nums)
    if goal is None:
        return Verdict(None, Status.BAD_REFERENCE, detail=f"target {str(target)[:40]!r} is not a number")
    if given is None:
        return Verdict(None, Status.BAD_REFERENCE, detail=f"nums {str(nums)[:60]!r} is not a list of integers")
    equation = _answer_text(text)
    if not equation:
        return Verdict(config.low, Status.NO_ANSWER, detail="no equation in an <answer> tag")
    if len(equation) > config.max_chars:
        detail = f"the equation is longer than {config.max_chars} characters"
        return Verdict(config.low, Status.BAD_FORMAT, detail=detail)
    shown = equation[:120]
    try:
        expression, claimed = _split_equation(equation)
        parsed = parse_expression(expression, max_depth=config.max_depth)
    except ParseError as exc:
        return Verdict(config.low, Status.BAD_FORMAT, extracted=shown, detail=str(exc))
    problem = _usage_problem(parsed.literals, given, config.use)
    if problem:
        return Verdict(config.low, Status.INCORRECT, extracted=shown, detail=problem)
    if parsed.zero_division:
        return Verdict(config.low, Status.INCORRECT, extracted=shown, detail="division by zero")
    if parsed.value == goal and (claimed is None or claimed == goal):
        return Verdict(config.high, Status.CORRECT, extracted=shown, detail=f"= {goal}")
    if parsed.value == goal:
        detail = f"the expression equals the target, but the answer claims {claimed}"
    else:
        detail = f"= {parsed.value}, not {goal}"
    partial = config.low if config.partial is None else config.partial
    return Verdict(partial, Status.INCORRECT, extracted=shown, detail=detail)


class CountdownReward(RowReward[CountdownConfig]):
    """TinyZero's Countdown: does the equation in ``<answer>`` reach ``target`` with ``nums``?

    Columns ``target`` and ``nums`` (as in ``Jiayi-Pan/Countdown-Tasks-3to4``).

    >>> from verifiers import countdown_reward
    >>> countdown_reward(["<answer>(95 - 39) + 35 - 3</answer>", "<answer>9**9**9</answer>"],
    ...                  target=[88, 88], nums=[[95, 39, 35, 3], [95, 39, 35, 3]])
    [1.0, 0.0]
    """

    name = "countdown"
    config_class = CountdownConfig
    columns = ("target", "nums")

    def grade(self, text: str, row: Mapping[str, Any]) -> Verdict:
        return grade_countdown(text, row["target"], row["nums"], self.config)


#: The default instance: ``from verifiers import countdown_reward``.
countdown_reward = CountdownReward()
