"""The contract every reward follows: :class:`Verdict`, :class:`Status`, :class:`Reward`.

A reward is called the way TRL's ``GRPOTrainer`` calls reward functions::

    reward(completions=[...], prompts=[...], solution=[...], trainer_state=..., ...) -> list[float | None]

and it has a batch method, ``score``, that returns one frozen :class:`Verdict` per row. The
float list is a projection of the verdicts (``[v.reward for v in verdicts]``).

Who is at fault decides the value (see ``docs/contract.md``):

* the model's fault (no answer, bad format, wrong answer, timeout): the configured low reward;
* the data's fault (missing column, unparseable reference): ``None``, which TRL skips;
* an infrastructure fault: an exception from :mod:`verifiers.errors`, or ``None`` with
  status ``infra_error`` when the caller opted in to skipping.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol, runtime_checkable

__all__ = ["Completion", "Fault", "Message", "Reward", "Status", "Verdict"]

#: One chat message, as TRL and OpenAI-style APIs pass them: ``{"role": ..., "content": ...}``.
Message = dict[str, Any]
#: A completion is plain text or a conversation (a list of messages).
Completion = str | Sequence[Message]


class Fault(str, Enum):
    """Whose fault a verdict is: decides between the low reward, ``None`` and raising."""

    NONE = "none"
    MODEL = "model"
    DATA = "data"
    INFRA = "infra"


class Status(str, Enum):
    """Why a row got its reward. The value is what the CLI writes."""

    CORRECT = "correct"
    """The answer or format is right: full marks."""
    INCORRECT = "incorrect"
    """The model answered, and the answer is wrong."""
    SCORED = "scored"
    """A graded (continuous) reward computed normally, e.g. a length or language ratio."""
    NO_ANSWER = "no_answer"
    """No answer could be extracted from the completion (model's fault)."""
    BAD_FORMAT = "bad_format"
    """The completion does not follow the required layout (model's fault)."""
    AMBIGUOUS = "ambiguous"
    """The final answer hedges or contradicts itself ("A or C", a person both knight and knave):
    the model's fault."""
    TIMEOUT = "timeout"
    """Grading this row exceeded its deadline; the worker was killed (model's fault)."""
    COMPILE_ERROR = "compile_error"
    """The completion's program does not compile (model's fault)."""
    RUNTIME_ERROR = "runtime_error"
    """The program crashed or exited non-zero on a test (model's fault)."""
    TIME_LIMIT = "time_limit"
    """The program exceeded a test's time limit (model's fault)."""
    MEMORY_LIMIT = "memory_limit"
    """The program exceeded its memory limit (model's fault)."""
    OUTPUT_LIMIT = "output_limit"
    """The program printed more than its output limit (model's fault)."""
    MISSING_COLUMN = "missing_column"
    """A column the reward needs is absent or null for this row (data's fault)."""
    BAD_REFERENCE = "bad_reference"
    """The reference (gold answer, language code, ...) cannot be used (data's fault)."""
    MALFORMED_INPUT = "malformed_input"
    """The input row itself could not be read, e.g. a malformed JSONL line (data's fault)."""
    NO_ROUTE = "no_route"
    """A :class:`~verifiers.Router` has no reward for this row's route and no default (data's fault)."""
    SKIPPED = "skipped"
    """A combination was skipped because a part of it was ``None`` (data's fault upstream)."""
    INFRA_ERROR = "infra_error"
    """The machinery failed and the caller asked for ``None`` instead of an exception."""

    @property
    def fault(self) -> Fault:
        """Whose fault this status is.

        >>> Status.TIMEOUT.fault, Status.MISSING_COLUMN.fault, Status.CORRECT.fault
        (<Fault.MODEL: 'model'>, <Fault.DATA: 'data'>, <Fault.NONE: 'none'>)
        """
        return _FAULTS[self]


_FAULTS = {
    Status.CORRECT: Fault.NONE,
    Status.SCORED: Fault.NONE,
    Status.INCORRECT: Fault.MODEL,
    Status.NO_ANSWER: Fault.MODEL,
    Status.BAD_FORMAT: Fault.MODEL,
    Status.AMBIGUOUS: Fault.MODEL,
    Status.TIMEOUT: Fault.MODEL,
    Status.COMPILE_ERROR: Fault.MODEL,
    Status.RUNTIME_ERROR: Fault.MODEL,
    Status.TIME_LIMIT: Fault.MODEL,
    Status.MEMORY_LIMIT: Fault.MODEL,
    Status.OUTPUT_LIMIT: Fault.MODEL,
    Status.MISSING_COLUMN: Fault.DATA,
    Status.BAD_REFERENCE: Fault.DATA,
    Status.MALFORMED_INPUT: Fault.DATA,
    Status.NO_ROUTE: Fault.DATA,
    Status.SKIPPED: Fault.DATA,
    Status.INFRA_ERROR: Fault.INFRA,
}


@dataclass(frozen=True)
class Verdict:
    """The full result of grading one completion.

    Args:
        reward: The value handed to the trainer, or ``None`` to skip the row.
        status: Why the row got this value.
        extracted: What was read from the completion (e.g. the boxed answer), if anything.
        detail: A short human-readable explanation.

    >>> v = Verdict(1.0, Status.CORRECT, extracted="42")
    >>> v.reward, v.status.value, v.to_dict()["extracted"]
    (1.0, 'correct', '42')
    """

    reward: float | None
    status: Status
    extracted: str | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        if self.reward is not None and not math.isfinite(self.reward):
            raise ValueError(f"a reward must be a finite number, not {self.reward!r}")
        if self.reward is None and self.status.fault not in (Fault.DATA, Fault.INFRA):
            raise ValueError(f"reward None is reserved for data/infra faults, not {self.status.value}")
        if self.reward is not None and self.status.fault in (Fault.DATA, Fault.INFRA):
            raise ValueError(f"status {self.status.value} must carry reward None")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (the CLI writes this for every reward)."""
        return {
            "reward": self.reward,
            "status": self.status.value,
            "extracted": self.extracted,
            "detail": self.detail,
        }


@runtime_checkable
class Reward(Protocol):
    """What every reward in ``verifiers`` provides.

    ``__call__`` is exactly what TRL's ``GRPOTrainer`` calls: keywords only, ``completions=``
    included, every dataset column as a list, unknown keywords ignored.

    Rewards built on :class:`verifiers.base.BaseReward` (every reward of this package, and the
    combinations) also have the attributes that callers such as the ``verify`` CLI read:

    * ``columns``: the dataset columns every row needs (a row without one gets ``None``);
    * ``optional_columns``: the columns used when present;
    * ``grouped``: ``True`` when a row's value depends on the other rows of its prompt group,
      so a caller that cuts a dataset into batches must keep each group in one batch;
    * ``parts``: the rewards it is built from (empty for a plain reward);
    * ``backend``: where its per-row kernels run (``None``: the calling thread, or its parent's).

    A reward that only has the methods below can still be a part of a combination, as long as
    the combination has no backend (it could not honour one).
    """

    __name__: str

    def __call__(self, completions: Sequence[Completion] | None = None, **columns: Any) -> list[float | None]:
        """One float (or ``None`` to skip) per completion."""
        ...

    def score(self, completions: Sequence[Completion], **columns: Any) -> list[Verdict]:
        """One :class:`Verdict` per completion, in order."""
        ...

    @property
    def reward_range(self) -> tuple[float, float]:
        """The closed interval every non-``None`` reward lies in."""
        ...

    def signature(self) -> str:
        """A reproducibility string: reward name, every config field, package version."""
        ...
