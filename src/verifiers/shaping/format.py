"""Format rewards: DeepSeek-R1's ``<think>``/``<answer>`` template, TRL's think format, open-r1's tag count.

Three rewards share the four tags ``<think>``, ``</think>``, ``<answer>``, ``</answer>``:

* :class:`FormatReward` (``format_reward``): the whole completion is DeepSeek-R1's template,
  ``<think> reasoning </think> <answer> answer </answer>`` (DeepSeek-AI 2025, "DeepSeek-R1:
  Incentivizing Reasoning Capability in LLMs via Reinforcement Learning", arXiv:2501.12948,
  "format rewards" in section 2.2.2, the template in section 2.2.3, Table 1).
* :class:`ThinkFormatReward` (``think_format_reward``): TRL's ``think_format_reward`` done
  right: the completion starts with one ``<think>...</think>`` block and then says something.
* :class:`TagCountReward` (``tag_count_reward``): open-r1's partial credit, 0.25 per tag that
  appears exactly once.

**Rules common to the three.** Tags are matched literally and case-sensitively (``<THINK>``
or ``<think >`` is ordinary text, not a tag). Tags are counted anywhere in the text, including
inside the reasoning and inside Markdown code fences: a fence is not parsed, so a model cannot
hide a second ``<answer>`` in one. "Whitespace" is what :meth:`str.isspace` accepts, so CRLF
(``\\r\\n``) line endings and trailing whitespace never change a verdict. With ``prefill=True``
the prompt already ends with ``<think>`` (e.g. DeepSeek-R1's and Qwen3's chat templates add
``<think>\\n``): the completion starts inside the reasoning, has no opening ``<think>``, and one
in it is an error.

**Bounded work.** Every check is one scan of the text for the tags, by a pattern with no
repetition (at most ten character comparisons per position, no backtracking), plus slices at
the positions found, so a 1 MB completion or one with 10,000 tags costs linear time. Each
kernel returns a small reason code (or the tag counts), and the verdict of each code is built
once per reward and shared by every row that has it (verdicts are frozen).

The three rewards are :class:`~verifiers.base.BatchReward` s: the check runs in the calling
process whatever the backend, since sending a linear scan to a worker costs more than doing it.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any

from verifiers.base import Batch, BatchReward, RewardConfig, Scores
from verifiers.extract.tags import ANSWER, END_ANSWER, END_THINK, TAGS, THINK, count_tags, tag_pattern
from verifiers.types import Status, Verdict

__all__ = [
    "FormatConfig",
    "FormatReward",
    "TagCountConfig",
    "TagCountReward",
    "ThinkFormatConfig",
    "ThinkFormatReward",
    "check_r1_format",
    "check_think_format",
    "format_reward",
    "tag_count_reward",
    "think_format_reward",
]

# Reason codes returned by the kernels (0 = the format is right) and their ``detail`` texts.
OK = 0
_REASONS = (
    "format ok",  # 0
    "missing <think>",  # 1
    "<think> appears more than once",  # 2
    "missing </think>",  # 3
    "</think> appears more than once",  # 4
    "missing <answer>",  # 5
    "<answer> appears more than once",  # 6
    "missing </answer>",  # 7
    "</answer> appears more than once",  # 8
    "tags out of order or nested",  # 9
    "text before <think>",  # 10
    "text between </think> and <answer>",  # 11
    "text after </answer>",  # 12
    "empty think block",  # 13
    "empty answer block",  # 14
    "prefilled prompt: the completion must not open <think>",  # 15
    "nothing after </think>",  # 16
    "the completion must start with <think>",  # 17
)


def _blank(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` is empty or only whitespace."""
    return start >= end or text[start:end].isspace()


# One pass finds every tag (see verifiers.extract.tags: literal, case-sensitive, linear).
_ANY_TAG = tag_pattern()
_THINK_TAG = tag_pattern(think_only=True)
_R1_TAGS = TAGS
_R1_PREFILL_TAGS = (END_THINK, ANSWER, END_ANSWER)
_THINK_TAGS = (THINK, END_THINK)
_THINK_PREFILL_TAGS = (END_THINK,)
# (tag, reason code when it is missing; + 1 when it is repeated)
_TAG_CODES = ((THINK, 1), (END_THINK, 3), (ANSWER, 5), (END_ANSWER, 7))


def _positions(pattern: re.Pattern[str], text: str, wanted: tuple[str, ...]) -> list[int] | None:
    """Where the tags matched by ``pattern`` start, if they are exactly ``wanted`` in order."""
    search = pattern.search
    at = 0
    found = []
    for tag in wanted:
        match = search(text, at)
        if match is None or match.group() != tag:
            return None
        found.append(match.start())
        at = match.end()
    return None if search(text, at) is not None else found


def _tag_problem(tags: list[str], wanted: tuple[str, ...]) -> int:
    """The reason code of a tag sequence that is not ``wanted``: the first tag missing or
    repeated (in template order), an unwanted ``<think>`` (prefill), else the order."""
    if THINK not in wanted and THINK in tags:
        return 15
    for tag, code in _TAG_CODES:
        if tag in wanted:
            n = tags.count(tag)
            if n != 1:
                return code if n == 0 else code + 1
    return 9


def check_r1_format(text: str, prefill: bool = False, lenient: bool = False, allow_empty_think: bool = False) -> int:
    """The kernel of :class:`FormatReward`: 0 when ``text`` follows the R1 template, else a reason code.

    Rules, checked in this order (the first that fails is reported): each of ``<think>``,
    ``</think>``, ``<answer>``, ``</answer>`` appears exactly once (with ``prefill``,
    ``<think>`` appears zero times and the reasoning starts at the first character); they come
    in that order (so nothing is nested); unless ``lenient``, only whitespace before
    ``<think>``, between ``</think>`` and ``<answer>`` and after ``</answer>``; the think block
    is not blank (unless ``allow_empty_think``); the answer block is not blank.

    Args:
        text: The completion's text.
        prefill: The prompt ends with ``<think>``; the completion must not contain it.
        lenient: Tolerate any text outside the two blocks.
        allow_empty_think: Accept a blank ``<think></think>`` block.

    Returns:
        0 for a well-formed completion, else a positive reason code.

    >>> check_r1_format("<think>\\nx\\n</think>\\n<answer>\\n4\\n</answer>\\n")
    0
    >>> check_r1_format("x\\n</think>\\n<answer>4</answer>", prefill=True)
    0
    >>> check_r1_format("<think>x</think><answer>4</answer> Done.") > 0
    True
    """
    wanted = _R1_PREFILL_TAGS if prefill else _R1_TAGS
    found = _positions(_ANY_TAG, text, wanted)
    if found is None:
        return _tag_problem(_ANY_TAG.findall(text), wanted)
    if prefill:
        body = 0
        p1, p2, p3 = found
    else:
        p0, p1, p2, p3 = found
        body = p0 + 7
        if not lenient and not _blank(text, 0, p0):
            return 10
    if not lenient:
        if not _blank(text, p1 + 8, p2):
            return 11
        if not _blank(text, p3 + 9, len(text)):
            return 12
    if not allow_empty_think and _blank(text, body, p1):
        return 13
    if _blank(text, p2 + 8, p3):
        return 14
    return OK


def check_think_format(text: str, prefill: bool = False, allow_empty_think: bool = False) -> int:
    """The kernel of :class:`ThinkFormatReward`: 0 when ``text`` is one think block then content.

    Rules, in order: exactly one ``<think>`` (zero with ``prefill``) and exactly one
    ``</think>``, in that order; only whitespace before ``<think>``; the think block is not
    blank (unless ``allow_empty_think``); something other than whitespace follows ``</think>``.
    ``<answer>`` tags are not looked at.

    Args:
        text: The completion's text.
        prefill: The prompt ends with ``<think>``; the completion must not contain it.
        allow_empty_think: Accept a blank ``<think></think>`` block.

    Returns:
        0 for a well-formed completion, else a positive reason code.

    >>> check_think_format("<think>\\nLet me see.\\n</think>\\nIt is 4.")
    0
    >>> check_think_format("<think>a</think>b</think>c") > 0
    True
    """
    wanted = _THINK_PREFILL_TAGS if prefill else _THINK_TAGS
    found = _positions(_THINK_TAG, text, wanted)
    if found is None:
        return _tag_problem(_THINK_TAG.findall(text), wanted)
    if prefill:
        body, p1 = 0, found[0]
    else:
        p0, p1 = found
        if not _blank(text, 0, p0):
            return 17
        body = p0 + 7
    if not allow_empty_think and _blank(text, body, p1):
        return 13
    if _blank(text, p1 + 8, len(text)):
        return 16
    return OK


def _tags_right(counts: tuple[int, int, int, int], prefill: bool) -> int:
    """How many of the four tags have the wanted count (1; 0 for ``<think>`` with ``prefill``)."""
    return (counts[0] == (0 if prefill else 1)) + (counts[1] == 1) + (counts[2] == 1) + (counts[3] == 1)


# -- configs -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FormatConfig(RewardConfig):
    """Config of :class:`FormatReward`.

    Args:
        low: Reward of a completion that breaks the template (model's fault).
        high: Reward of a well-formed completion.
        prefill: The prompt ends with ``<think>``: the completion starts inside the reasoning and
            must not contain ``<think>``.
        lenient: Tolerate any text before ``<think>``, between ``</think>`` and ``<answer>``,
            and after ``</answer>``; every other rule still holds.
        allow_empty_think: Accept a blank think block (rejected by default: an empty
            ``<think></think>`` earns format credit without reasoning).

    >>> FormatReward(FormatConfig(lenient=True)).signature().split("|")[3:5]
    ['prefill:False', 'lenient:True']
    """

    prefill: bool = field(default=False, metadata={"sig": "prefill"})
    lenient: bool = field(default=False, metadata={"sig": "lenient"})
    allow_empty_think: bool = field(default=False, metadata={"sig": "empty_think"})


@dataclass(frozen=True, kw_only=True)
class ThinkFormatConfig(RewardConfig):
    """Config of :class:`ThinkFormatReward`.

    Args:
        low: Reward of a malformed completion (model's fault).
        high: Reward of a well-formed completion.
        prefill: The prompt ends with ``<think>``: the completion must not contain it.
        allow_empty_think: Accept a blank think block (TRL does; we do not by default).

    >>> ThinkFormatReward(ThinkFormatConfig(allow_empty_think=True))(["<think></think>4"])
    [1.0]
    """

    prefill: bool = field(default=False, metadata={"sig": "prefill"})
    allow_empty_think: bool = field(default=False, metadata={"sig": "empty_think"})


@dataclass(frozen=True, kw_only=True)
class TagCountConfig(RewardConfig):
    """Config of :class:`TagCountReward`.

    Args:
        low: Reward when no tag has the right count.
        high: Reward when all four do.
        prefill: The prompt ends with ``<think>``: the ``<think>`` quarter is earned when the
            completion contains no ``<think>``.

    >>> TagCountReward(TagCountConfig(low=-1.0))(["<think>a</think>"])
    [0.0]
    """

    prefill: bool = field(default=False, metadata={"sig": "prefill"})


# -- rewards -----------------------------------------------------------------------------------


class _BinaryFormat(BatchReward[Any]):
    """Shared batching of the two pass/fail format rewards: ``_kernel(text) -> reason code``.

    The format depends on no dataset column and costs one linear scan, so batches are checked
    in the calling process (a backend is used only by per-row kernels). Verdicts are built once
    per reason code and shared: frozen verdicts make that safe, and the batch costs one kernel
    call per row.
    """

    def __init__(self, config: Any = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        c = self.config
        self._verdicts = [Verdict(c.high, Status.CORRECT, detail=_REASONS[OK])] + [
            Verdict(c.low, Status.BAD_FORMAT, detail=reason) for reason in _REASONS[1:]
        ]

    @abstractmethod
    def _kernel(self, text: str) -> int:
        """The reason code of one text (0: the format is right)."""

    def grade_batch(self, batch: Batch) -> Scores:
        """One verdict per completion: ``correct``, or ``bad_format`` with the broken rule."""
        kernel, verdicts = self._kernel, self._verdicts
        return Scores.from_verdicts([verdicts[kernel(t)] for t in batch.texts])


class FormatReward(_BinaryFormat):
    """DeepSeek-R1's format reward: the completion is ``<think>...</think><answer>...</answer>``.

    DeepSeek-AI (2025), "DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via
    Reinforcement Learning", arXiv:2501.12948, section 2.2.2 (format rewards) and
    section 2.2.3, Table 1 (the template)::

        R = high  if check_r1_format(text) == 0   (status correct)
            low   otherwise                       (status bad_format, detail = broken rule)

    Strict by default: each tag exactly once, in order, nothing but whitespace outside the two
    blocks, neither block blank (see :func:`check_r1_format`; ``allow_empty_think=True`` accepts
    a blank think block). ``lenient=True`` tolerates text outside the blocks (a preamble, a
    summary between them, a stray end-of-turn token) and nothing else. ``prefill=True`` is for
    prompts ending with ``<think>``.

    >>> format_reward(["<think>\\n2+2 is 4\\n</think>\\n<answer>\\n4\\n</answer>",
    ...                "<think>2+2 is 4</think><answer>4</answer>\\r\\n",
    ...                "<think>2+2</think><answer>4</answer><answer>5</answer>",
    ...                "<THINK>2+2</THINK><answer>4</answer>"])
    [1.0, 1.0, 0.0, 0.0]
    >>> format_reward.score(["<think>x</think>\\n<answer> </answer>"])[0].detail
    'empty answer block'
    >>> FormatReward(prefill=True)(["2+2 is 4\\n</think>\\n<answer>4</answer>"])
    [1.0]
    """

    name = "format"
    config_class = FormatConfig

    def _kernel(self, text: str) -> int:
        c = self.config
        return check_r1_format(text, c.prefill, c.lenient, c.allow_empty_think)


class ThinkFormatReward(_BinaryFormat):
    """TRL's ``think_format_reward``, made strict: one ``<think>`` block first, then content.

    ``R = high`` if :func:`check_think_format` accepts the text, else ``low``. Unlike TRL's
    ``^<think>(?!.*<think>)(.*?)</think>.*$``, a repeated ``</think>``, a blank think block and
    a completion with nothing after ``</think>`` are rejected; leading whitespace, plain string
    completions and multi-message conversations (the last assistant message is read) are
    handled; ``prefill=True`` is for prompts that end with ``<think>``.

    >>> think_format_reward([[{"role": "assistant", "content": "<think>\\nhmm\\n</think>\\nIt is 4."}],
    ...                      "<think>\\nhmm\\nIt is 4.", "<think>a</think>b</think>c"])
    [1.0, 0.0, 0.0]
    >>> ThinkFormatReward(prefill=True)(["hmm\\n</think>\\nIt is 4.", "<think>hmm</think>It is 4."])
    [1.0, 0.0]
    """

    name = "think_format"
    config_class = ThinkFormatConfig

    def _kernel(self, text: str) -> int:
        c = self.config
        return check_think_format(text, c.prefill, c.allow_empty_think)


class TagCountReward(BatchReward[TagCountConfig]):
    """open-r1's ``tag_count_reward``: a quarter of the credit per tag that appears exactly once.

    ``R = low + (high - low) * k / 4``, where ``k`` counts the tags among ``<think>``,
    ``</think>``, ``<answer>``, ``</answer>`` that occur exactly once (``<think>``: zero times
    with ``prefill=True``). Tags are counted bare: open-r1 counts ``"<think>\\n"``,
    ``"\\n</think>\\n"``, ``"\\n<answer>\\n"``, ``"\\n</answer>"``, so CRLF or a missing newline
    costs a quarter there and not here. Status: ``correct`` for 4/4, ``bad_format`` for 0/4,
    ``scored`` in between.

    >>> tag_count_reward(["<think>\\na\\n</think>\\n<answer>\\nb\\n</answer>", "<think>a</think>", "none"])
    [1.0, 0.5, 0.0]
    >>> TagCountReward(prefill=True)(["a</think><answer>b</answer>"])
    [1.0]
    """

    name = "tag_count"
    config_class = TagCountConfig

    def __init__(self, config: TagCountConfig | None = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self._cache: dict[tuple[int, int, int, int], Verdict] = {}

    def _verdict(self, counts: tuple[int, int, int, int]) -> Verdict:
        verdict = self._cache.get(counts)
        if verdict is None:
            c = self.config
            k = _tags_right(counts, c.prefill)
            value = c.low + (c.high - c.low) * k / 4
            status = Status.CORRECT if k == 4 else Status.BAD_FORMAT if k == 0 else Status.SCORED
            detail = f"{k}/4 tags right; counts " + " ".join(f"{t}={n}" for t, n in zip(TAGS, counts))
            verdict = Verdict(value, status, detail=detail)
            if len(self._cache) < 4096:
                self._cache[counts] = verdict
        return verdict

    def grade_batch(self, batch: Batch) -> Scores:
        """One verdict per completion, with the four tag counts in ``detail``."""
        verdict = self._verdict
        return Scores.from_verdicts([verdict(count_tags(t)) for t in batch.texts])


#: DeepSeek-R1's strict ``<think>``/``<answer>`` format reward: ``from verifiers import format_reward``.
format_reward = FormatReward()
#: A stricter TRL ``think_format_reward``: ``from verifiers import think_format_reward``.
think_format_reward = ThinkFormatReward()
#: open-r1's ``tag_count_reward`` (bare tags): ``from verifiers import tag_count_reward``.
tag_count_reward = TagCountReward()
