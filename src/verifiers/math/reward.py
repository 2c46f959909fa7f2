"""``accuracy_reward``: is the final answer of a completion mathematically equal to the reference?

A batch is graded in three steps (``docs/rewards/accuracy.md``):

1. each distinct reference is read and checked once (a reference that does not parse, or is
   undefined like ``\\frac{1}{0}``, gives ``None`` for every row, answered or not);
2. each distinct completion's final answer is extracted and compared on the fast path, our
   own parser and exact arithmetic, in this thread (bounded by the capped input);
3. what the fast path cannot decide goes to the symbolic tail (``latex2sympy2_extended`` and
   sympy) behind a per-row deadline at a process boundary: on the reward's backend when it has
   one, else on a helper process (:mod:`verifiers.math.tail`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from verifiers.base import Batch, BatchReward, RewardConfig, Scores
from verifiers.engine.backends import Backend, Crashed, Serial, TimedOut
from verifiers.errors import ConfigError
from verifiers.extract.answer import (
    MAX_ANSWER_CHARS,
    STRATEGIES,
    announced_answer,
    answer_candidates,
    last_boxes,
    last_tag_content,
)
from verifiers.math.compare import constant_problem, equal
from verifiers.math.parse import Node, Unparsed, parse, unit_of
from verifiers.types import Status, Verdict

__all__ = ["MathAccuracy", "MathConfig", "accuracy_reward", "grade_math", "reference_answer"]


@dataclass(frozen=True, kw_only=True)
class MathConfig(RewardConfig):
    """Config of :class:`MathAccuracy`.

    Args:
        low: Reward for a wrong or missing answer (model's fault).
        high: Reward for a correct answer.
        strategies: Where the final answer is looked for, in order (a subset of
            ``answer_tag``, ``boxed``, ``phrase``, ``latex``, ``number``; see
            :func:`~verifiers.extract.answer.answer_candidates`). ``("answer_tag", "boxed")``
            reads only R1's tag and boxes.
        symbolic: Send what the fast path cannot decide to sympy (behind a deadline).
        timeout: Seconds the symbolic tail may spend on one row (on a backend, the backend's
            own deadline applies instead).
    """

    strategies: str = field(default=",".join(STRATEGIES), metadata={"sig": "extract"})
    symbolic: bool = field(default=True, metadata={"sig": "sympy"})
    timeout: float = field(default=5.0, metadata={"sig": "timeout"})

    def __post_init__(self) -> None:
        super().__post_init__()
        unknown = set(self.order) - set(STRATEGIES)
        if unknown or not self.order:
            allowed = ",".join(STRATEGIES)
            raise ConfigError(f"strategies must be a comma-separated subset of {allowed}, not {self.strategies!r}")
        if not (math.isfinite(self.timeout) and self.timeout > 0):
            raise ConfigError(f"timeout must be a positive number of seconds, not {self.timeout}")

    @property
    def order(self) -> tuple[str, ...]:
        """The strategies as a tuple."""
        return tuple(s.strip() for s in self.strategies.split(",") if s.strip())


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
        boxes = last_boxes(text, loose=True)  # "\\boxed{1} papers and \\boxed{2} bins": both
        return ", ".join(boxes) if boxes else None
    if "####" in text:
        text = text[text.rindex("####") + 4 :]
    else:
        tagged = last_tag_content(text, "answer")
        if tagged is not None:
            text = tagged
    text = text.strip()
    return text if text and len(text) <= MAX_ANSWER_CHARS else None


#: Prose (a word of three letters or more outside LaTeX commands that names no function, or
#: CJK) is never sent to the tail: antlr would read "the answer" as a product of symbols.
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}|[\u3040-\u30ff\u4e00-\u9fff]")
_COMMANDS = re.compile(r"\\(?:begin|end|text|mathrm|mathbf|operatorname)\{[^{}]*\}|\\[A-Za-z]+")
_MATH_WORDS = {
    "sin", "cos", "tan", "cot", "sec", "csc", "log", "exp", "max", "min", "gcd", "lcm", "mod", "det", "arg", "deg",
    "lim", "sup", "inf", "sqrt", "frac", "sinh", "cosh", "tanh", "arcsin", "arccos", "arctan", "pmatrix",
}
#: References that say there is no answer.
_NO_ANSWER_REFERENCES = {"n/a", "na", "tbd", "none given", "unknown", "?"}


def _mathy(answer: str) -> bool:
    return not any(w.group(0).lower() not in _MATH_WORDS for w in _WORD.finditer(_COMMANDS.sub(" ", answer)))


def _read(answer: str) -> Node | None:
    try:
        return parse(answer)
    except (Unparsed, RecursionError, ValueError, ArithmeticError):
        return None


@dataclass
class _Gold:
    """A reference answer, read once per batch."""

    text: str
    tree: Node | None  # None: the fast parser cannot read it (the tail may)
    problem: str | None = None  # why it is unusable
    status: Status = Status.BAD_REFERENCE  # whose fault the problem is (infra_error: the tail died)


def _read_gold(solution: Any) -> _Gold:
    text = reference_answer(solution)
    if text is None and isinstance(solution, str):  # a long worked solution without a box
        for answer in announced_answer(solution):
            if _read(answer) is not None:
                text = answer
                break
    if text is None:
        return _Gold("", None, "no usable reference answer in 'solution'")
    if text.strip().lower() in _NO_ANSWER_REFERENCES:
        return _Gold(text, None, f"reference {text[:80]!r} is not an answer")
    tree = _read(text)
    if tree is None or (tree[0] == "text" and len(tree[1].split()) >= 3):  # "Answer is forty two."
        for answer in announced_answer(text):
            announced = _read(answer)
            if announced is not None and announced[0] != "text":
                text, tree = answer, announced
                break
    if tree is not None and tree[0] == "text" and len(tree[1].split()) >= 3 and "\\text" not in text:
        return _Gold(text, None, f"reference {text[:80]!r} is prose, not an answer")
    if tree is not None:
        return _Gold(text, tree, constant_problem(tree))
    if not _mathy(text):
        return _Gold(text, None, f"reference {text[:80]!r} is prose, not an answer")
    return _Gold(text, None)


def _pick(text: str, order: tuple[str, ...]) -> tuple[str, str, Node | None] | None:
    """The answer to grade, as (strategy, answer, tree): the first candidate that reads. A
    candidate only the symbolic tail can read (``\\sum``, odd LaTeX) is graded there, unless a
    later candidate of the same strategy reads on the fast path (``12)`` then ``12``)."""
    for_tail: tuple[str, str, Node | None] | None = None
    for strategy, answer in answer_candidates(text, strategies=order):
        if for_tail is not None and strategy != for_tail[0]:
            break
        tree = _read(answer)
        if tree is not None and tree[0] == "text" and strategy not in ("answer_tag", "boxed"):
            words = len(tree[1].split())
            explicit = "\\text" in answer  # \text{The midpoints form a regular hexagon}
            if not explicit and (words > 3 or (strategy != "phrase" and words > 1)):
                continue  # prose, not an announced word answer
        if tree is not None:
            return strategy, answer, tree
        if for_tail is None and _mathy(answer):
            if strategy in ("answer_tag", "boxed"):
                return strategy, answer, None
            for_tail = (strategy, answer, None)
    return for_tail


def grade_math(text: str, solution: Any, config: MathConfig) -> Verdict:
    """Grade one completion (the symbolic tail, when needed, runs in this thread without a
    deadline: use :class:`MathAccuracy` for that). Pure, never raises on model output.

    Returns:
        ``correct`` (``config.high``); ``incorrect`` or ``no_answer`` (``config.low``, the
        model's fault); ``bad_reference`` (``None``) when the reference is missing, unusable
        or does not parse.

    >>> grade_math(r"... so the answer is \\boxed{\\frac{1}{2}}", "0.5", MathConfig()).status.value
    'correct'
    >>> grade_math("I don't know", "0.5", MathConfig()).status.value
    'no_answer'
    """
    from verifiers.math.tail import TailKernel

    grader = _Grader(config)
    verdict = grader.first_pass(text, solution)
    if verdict is not None:
        return verdict
    verdicts: dict[tuple[str, str], Verdict] = {}
    grader.finish(verdicts, Serial(), TailKernel())
    return verdicts[(text, repr(solution))]


def _units_differ(answer: str, gold: str) -> bool:
    """Both sides name a unit, and not the same one (``5 m`` for ``5 cm``)."""
    mine, theirs = unit_of(answer), unit_of(gold)
    return mine is not None and theirs is not None and mine.lower() != theirs.lower()


def _bad_reference(gold: str, why: str) -> Verdict:
    return Verdict(None, Status.BAD_REFERENCE, detail=f"reference {gold[:80]!r} {why}")


class _Grader:
    """State of one batch: references read once, answers waiting for the tail."""

    def __init__(self, config: MathConfig) -> None:
        self.config = config
        self.order = config.order
        self.golds: dict[str, _Gold] = {}
        self.pending: dict[tuple[str, str], str] = {}

    def gold(self, solution: Any) -> _Gold:
        key = repr(solution)
        gold = self.golds.get(key)
        if gold is None:
            gold = self.golds[key] = _read_gold(solution)
        return gold

    def first_pass(self, text: str, solution: Any) -> Verdict | None:
        """The verdict of the fast path, or ``None`` when the row needs the tail."""
        cfg = self.config
        gold = self.gold(solution)
        if gold.problem is not None:
            return Verdict(None, Status.BAD_REFERENCE, detail=gold.problem)
        picked = _pick(text, self.order)
        if picked is None:
            if gold.tree is None and cfg.symbolic:
                self.pending[(text, repr(solution))] = ""
                return None  # the reference must be checked first
            if gold.tree is None:
                return _bad_reference(gold.text, "is outside the fast parser and the symbolic tail is off")
            return Verdict(cfg.low, Status.NO_ANSWER, detail="no final answer found")
        strategy, answer, tree = picked
        if tree is not None and gold.tree is not None:
            try:
                result = equal(tree, gold.tree)
            except (RecursionError, ArithmeticError, ValueError, OverflowError):
                result = None
            if result and _units_differ(answer, gold.text):
                return Verdict(cfg.low, Status.INCORRECT, extracted=answer, detail=f"{strategy}, other unit")
            if result is not None:
                status = Status.CORRECT if result else Status.INCORRECT
                return Verdict(cfg.high if result else cfg.low, status, extracted=answer, detail=f"{strategy}, fast")
        if not cfg.symbolic:
            if gold.tree is None:
                return _bad_reference(gold.text, "is outside the fast parser and the symbolic tail is off")
            detail = f"{strategy}, not shown equal (tail off)"
            return Verdict(cfg.low, Status.INCORRECT, extracted=answer, detail=detail)
        self.pending[(text, repr(solution))] = answer
        return None

    def finish(self, verdicts: dict[tuple[str, str], Verdict], backend: Backend | None, kernel: Any) -> None:
        """Verdicts of the rows the fast path left, through the symbolic tail: each unread
        reference is checked first, then each (answer, reference) pair is compared once."""
        from verifiers.math.tail import run_tail

        timeout = self.config.timeout
        unread = sorted({k[1] for k in self.pending if self.golds[k[1]].tree is None})
        checks = run_tail([("parses", self.golds[r].text) for r in unread], timeout, backend, kernel)
        for r, outcome in zip(unread, checks):
            gold = self.golds[r]
            if isinstance(outcome, Crashed):
                gold.problem, gold.status = outcome.message, Status.INFRA_ERROR
            elif isinstance(outcome, TimedOut):
                gold.problem = f"reference {gold.text[:80]!r} took over {outcome.seconds} s to parse"
            elif not outcome:
                gold.problem = f"reference {gold.text[:80]!r} does not parse"
        todo = []
        for key, answer in self.pending.items():
            gold = self.golds[key[1]]
            if gold.problem is not None:
                verdicts[key] = Verdict(None, gold.status, detail=gold.problem)
            elif answer == "":
                verdicts[key] = Verdict(self.config.low, Status.NO_ANSWER, detail="no final answer found")
            else:
                todo.append(key)
        items = sorted({(self.pending[k], self.golds[k[1]].text) for k in todo})
        outcomes = dict(zip(items, run_tail([("compare", a, g) for a, g in items], timeout, backend, kernel)))
        for key in todo:
            answer, gold = self.pending[key], self.golds[key[1]]
            verdicts[key] = self.tail_verdict(answer, gold, outcomes[(answer, gold.text)])

    def tail_verdict(self, answer: str, gold: _Gold, outcome: Any) -> Verdict:
        cfg = self.config
        if answer == "":
            return Verdict(cfg.low, Status.NO_ANSWER, detail="no final answer found")
        if isinstance(outcome, TimedOut):
            detail = f"the symbolic comparison took over {outcome.seconds} s"
            return Verdict(cfg.low, Status.TIMEOUT, extracted=answer, detail=detail)
        if isinstance(outcome, Crashed):
            return Verdict(None, Status.INFRA_ERROR, extracted=answer, detail=outcome.message)
        if outcome.method == "gold-unparsed":
            return _bad_reference(gold.text, "does not parse")
        if outcome.equal:
            return Verdict(cfg.high, Status.CORRECT, extracted=answer, detail=f"equal by {outcome.method}")
        return Verdict(cfg.low, Status.INCORRECT, extracted=answer, detail=f"not equal ({outcome.method})")


class MathAccuracy(BatchReward[MathConfig]):
    """Math answer accuracy against the ``solution`` column (TRL's column name).

    The final answer is read from R1's ``<answer>`` tag or the last ``\\boxed{}``, else from
    "the final answer is ...", the last LaTeX formula or the last number; it is compared with
    the reference exactly (integers, fractions, radicals, ``\\pi`` stay exact; a decimal
    approximates only a value without a finite decimal expansion), structurally (sets, tuples,
    intervals, equations, matrices), and by sympy behind a deadline for what remains. A
    missing or unusable ``solution`` gives ``None``.

    >>> from verifiers import accuracy_reward
    >>> accuracy_reward([r"\\boxed{4}", "<answer>5</answer>", "no idea"], solution=["4", "4", "4"])
    [1.0, 0.0, 0.0]
    """

    name = "accuracy"
    config_class = MathConfig
    columns = ("solution",)

    def grade_batch(self, batch: Batch) -> Scores:
        grader = _Grader(self.config)
        solutions = batch.column("solution")
        assert solutions is not None
        verdicts: dict[tuple[str, str], Verdict] = {}
        keys = []
        for text, solution in zip(batch.texts, solutions):
            key = (text, repr(solution))
            keys.append(key)
            if key not in verdicts and key not in grader.pending:
                verdict = grader.first_pass(text, solution)
                if verdict is not None:
                    verdicts[key] = verdict
        if grader.pending:
            kernel = self.tail_kernel() if batch.backend is not None else None
            grader.finish(verdicts, batch.backend, kernel)
        return Scores.from_verdicts([verdicts[k] for k in keys])

    def tail_kernel(self) -> Any:
        """What a backend's workers run for the symbolic tail (a seam for tests)."""
        from verifiers.math.tail import TailKernel

        return TailKernel()


#: The default instance: ``from verifiers import accuracy_reward``.
accuracy_reward = MathAccuracy()
