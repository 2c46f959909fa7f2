"""``choice_reward``: multiple-choice accuracy (GPQA, MMLU, MMLU-Pro, ARC, ...).

The reference is a letter (``answer``: ``"C"``, or MMLU's 0-based index ``2``, or the text of
an option); the optional ``choices`` (or ``options``) column holds the option texts. The
model's final choice is read, in order of preference:

1. **Where.** The content of the last ``<answer>...</answer>``; without one, the text after the
   last ``</think>`` (a ``<think>`` that never closes is a completion cut off mid-thought: no
   answer); without tags, the whole text. Only the last ``tail_chars`` characters are read.
2. **What.** The last explicit statement there: a ``\\boxed{...}``, "answer is / answer: /
   final answer / correct option is ...", or "(C) is correct"; the phrase after it is read as a
   letter in the forms models write (``C``, ``(C)``, ``C)``, ``C.``, ``**C**``, ``option C``,
   ``\\text{C}``) or, failing that, as the exact text of one option. With no statement, the
   whole ``<answer>`` content, or the last line of the text, is read the same way.
3. **Hedges** are the model's fault (status ``ambiguous``): two different letters in the final
   statement ("A or C", "A, C", "both B and D", every letter listed, ``\\boxed{AC}``), or a
   letter whose text is another option's.

A letter beyond the offered options is wrong, not an error. A missing or unusable reference
gives ``None`` (``bad_reference``). Prose is not mined for letters: in "A pair of electrons",
"A" is an article, not option A.
"""

from __future__ import annotations

import functools
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from verifiers.base import RewardConfig, RowReward
from verifiers.errors import ConfigError
from verifiers.extract.answer import last_boxed
from verifiers.extract.tags import END_THINK, THINK, last_tag_content
from verifiers.types import Status, Verdict

__all__ = [
    "ChoiceConfig",
    "ChoiceReward",
    "choice_reward",
    "grade_choice",
    "read_choice",
    "reference_letter",
]

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Explicit statements of the final answer, each ending where the answer phrase starts.
_MARKER = re.compile(
    r"(?:\b(?:final\s+)?answers?(?:\s+(?:choice|option))?|\b(?:correct|right|best)\s+(?:answer|option|choice)s?)"
    r"[ \t]*\**[ \t]*(?:is|are|:|=|would\s+be|should\s+be|must\s+be|will\s+be)[ \t]*:?"
    r"|\bfinal\s+answer[ \t]*\**[ \t]*:?[ \t]*\**[ \t]*\n",
    re.IGNORECASE,
)
# "(C) is correct", "Option C is the right answer": the letter comes before the verb.
_REVERSE = re.compile(
    r"(?:\b(?:option|choice)\s+)?(?:\(([A-Za-z])\)|\b([A-Z])\b)\**\s+is\s+(?:the\s+)?(?:correct|right|best)\b"
)
# A weaker statement, read only when there is no explicit one: "I choose option B".
_OPTION = re.compile(r"\b(?:option|choice)\s+(?=\(?[A-Z]\b)", re.IGNORECASE)
# The letter just before a weak statement: "option B or option C".
_BEFORE = re.compile(r"(?<![A-Za-z0-9])\(?([A-Z])\)?\s*(?:,|/|\bor\b|\band\b)\s*$")
# A hedge anywhere in a short final answer: "It could be A or C".
_OR_HEDGE = re.compile(r"(?<![A-Za-z0-9])\(?([A-Z])\)?\s+or\s+\(?([A-Z])\)?(?![A-Za-z0-9])")
# Markup removed before a phrase is read (the letter or text inside is kept).
_MARKUP = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mbox)\s*\{|\*\*|\$|\\[()\[\]]|[{}#`]")
# One letter: bracketed, or bare and not part of a word.
_ITEM = re.compile(r"\s*(?:\(\s*([A-Za-z])\s*\)|\[\s*([A-Za-z])\s*\]|([A-Za-z])(?![A-Za-z0-9'’]))")
_LEAD = re.compile(
    r"[\s:\-–—>*]*(?:the\s+)?(?:(?:correct|right|best|final)\s+)?(?:answers?\s+)?(?:(?:is|are)\s+)?"
    r"(?:(?:clearly|definitely|probably|likely|most\s+likely|therefore|thus|indeed|then)\s*,?\s+)?"
    r"(?:either\s+|both\s+)?(?:(?:option|choice|letter)s?\s*:?)?",
    re.IGNORECASE,
)
_SEP = re.compile(r"\s*(?:,|/|&|\band/or\b|\bor\b|\band\b|\bnor\b)\s*(?:(?:option|choice)s?\s*)?", re.IGNORECASE)
_NEXT_WORD = re.compile(r"\s+([a-z]+)")
# Words after a bare letter that keep it a letter ("C because ..."); any other lower-case word
# makes it prose ("A pair of ...").
_CONNECTORS = frozenset(
    {
        "or", "and", "nor", "is", "was", "because", "since", "as", "which", "that", "would", "should", "seems",
        "appears", "looks", "fits", "matches", "best", "here", "only", "correct", "both", "seem",
    }
)
_RUN = re.compile(r"[A-Z](?:[\s,/]*[A-Z])+")
_OPTION_PREFIX = re.compile(r"^\s*\(?([A-Za-z])[).:]\s+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, kw_only=True)
class ChoiceConfig(RewardConfig):
    """Config of :class:`ChoiceReward`.

    Args:
        low: Reward for a wrong, hedged or missing choice (model's fault).
        high: Reward for the right choice.
        match_text: Also read an answer given as the exact text of an option (needs the
            ``choices`` or ``options`` column).
        tail_chars: Only the last this many characters of the final part are read.
    """

    match_text: bool = field(default=True, metadata={"sig": "text"})
    tail_chars: int = field(default=4000, metadata={"sig": "tail"})

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 100 <= self.tail_chars <= 1_000_000:
            raise ConfigError(f"tail_chars must be in [100, 1000000], not {self.tail_chars}")


@functools.lru_cache(maxsize=8192)  # option texts recur in every row of a group
def _norm(text: str) -> str:
    text = _MARKUP.sub(" ", text)
    return _SPACES.sub(" ", text).strip(" .;:!\t\n").lower()


def option_texts(choices: Any) -> list[str] | None:
    """The option texts of a row, in letter order, or ``None`` when unusable.

    A list of strings (or numbers), or a mapping from letters to texts. A leading ``"A) "``
    that repeats the option's own letter is dropped.

    >>> option_texts(["A) Paris", "B) Rome"]), option_texts({"B": "Rome", "A": "Paris"}), option_texts("Paris")
    (['Paris', 'Rome'], ['Paris', 'Rome'], None)
    """
    if type(choices) in (list, tuple) and all(type(c) is str for c in choices):  # the common case
        cached = _plain_options(tuple(choices))
        return list(cached) if cached is not None else None
    return _option_texts(choices)


@functools.lru_cache(maxsize=1024)
def _plain_options(choices: tuple[str, ...]) -> tuple[str, ...] | None:
    found = _option_texts(choices)
    return tuple(found) if found is not None else None


def _option_texts(choices: Any) -> list[str] | None:
    if isinstance(choices, Mapping):
        keys = sorted(str(k).strip().upper() for k in choices)
        if keys != list(LETTERS[: len(keys)]):
            return None
        by_letter = {str(k).strip().upper(): v for k, v in choices.items()}
        choices = [by_letter[k] for k in keys]
    if hasattr(choices, "tolist"):  # numpy arrays
        choices = choices.tolist()
    if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
        return None
    if not 1 <= len(choices) <= len(LETTERS):
        return None
    out = []
    for i, choice in enumerate(choices):
        if isinstance(choice, bool) or not isinstance(choice, (str, numbers.Number)):
            return None
        text = str(choice)
        prefix = _OPTION_PREFIX.match(text)
        if prefix and prefix.group(1).upper() == LETTERS[i]:
            text = text[prefix.end() :]
        out.append(text)
    return out


def reference_letter(answer: Any, options: list[str] | None) -> str | None:
    """The correct letter of a row, or ``None`` when the reference is unusable.

    A letter (``"C"``, ``"(c)"``, ``"C."``), a 0-based index (MMLU's ``answer`` column), or the
    exact text of one option. With options, the letter must be one of them.

    >>> reference_letter("c", None), reference_letter(2, None), reference_letter("Rome", ["Paris", "Rome"])
    ('C', 'C', 'B')
    >>> reference_letter("E", ["w", "x", "y", "z"]), reference_letter(True, None), reference_letter("", None)
    (None, None, None)
    """
    n = len(options) if options is not None else len(LETTERS)
    letter: str | None = None
    if isinstance(answer, bool) or answer is None:
        return None
    if isinstance(answer, numbers.Integral):
        index = int(answer)
        letter = LETTERS[index] if 0 <= index < len(LETTERS) else None
    elif isinstance(answer, str):
        text = answer.strip()
        match = re.fullmatch(r"\(?([A-Za-z])\)?[.:)]?", text)
        if match:
            letter = match.group(1).upper()
        elif options is not None and text:
            target = _norm(text)
            hits = [i for i, option in enumerate(options) if _norm(option) == target]
            letter = LETTERS[hits[0]] if len(hits) == 1 else None
    if letter is None or LETTERS.index(letter) >= n:
        return None
    return letter


def _letters(phrase: str) -> list[str]:
    """The letters named at the start of a phrase ("either A or C" -> ["A", "C"])."""
    pos = _LEAD.match(phrase).end()  # type: ignore[union-attr]  # the pattern matches the empty string
    found: list[str] = []
    while True:
        item = _ITEM.match(phrase, pos)
        if item is None:
            break
        bare = item.group(3)
        if bare is not None:
            word = _NEXT_WORD.match(phrase, item.end())
            if word and word.group(1) not in _CONNECTORS:
                break  # "A pair of ...": an article, not a letter
            if bare.islower() and not found and pos == 0 and len(phrase.strip()) > 2:
                break  # a lower-case letter opening a sentence is a word ("a", "i")
        found.append((item.group(1) or item.group(2) or bare).upper())
        sep = _SEP.match(phrase, item.end())
        if sep is None or sep.end() == item.end():
            break
        pos = sep.end()
    return found


def _read_phrase(phrase: str, options: list[str] | None, match_text: bool) -> tuple[list[str], str]:
    """``(letters, how)`` named by an answer phrase: letters, else an option's exact text."""
    clean = _MARKUP.sub(" ", phrase)
    first_line = clean.strip().split("\n", 1)[0]
    letters = _letters(first_line)
    if len(letters) == 1 and options is not None and match_text:
        # "C) Paris" where Paris is option B: the letter and the text disagree
        rest = _ITEM.match(first_line, _LEAD.match(first_line).end())  # type: ignore[union-attr]
        if rest is not None:
            tail = _norm(first_line[rest.end() :].lstrip(").:]- "))
            others = [LETTERS[i] for i, o in enumerate(options) if _norm(o) == tail and tail]
            if others and letters[0] not in others:
                return [letters[0], *others], "letter and option text disagree"
    if letters:
        return letters, "letter"
    squeezed = first_line.strip().strip("*.").strip()
    if _RUN.fullmatch(squeezed) and len(set(squeezed) - set(" ,/")) > 1:
        run = [c for c in squeezed if c.isalpha()]
        if options is None or not any(_norm(o) == squeezed.lower() for o in options):
            return run, "a run of letters"
    if options is not None and match_text:
        target = _norm(first_line)
        hits = [LETTERS[i] for i, option in enumerate(options) if target and _norm(option) == target]
        if len(set(hits)) == 1:
            return hits[:1], "option text"
    return [], ""


def read_choice(text: str, options: list[str] | None = None, *, config: ChoiceConfig | None = None) -> tuple[
    list[str], str
]:
    """The letters a completion gives as its final choice, and how they were found.

    Returns:
        ``([], reason)`` when there is no choice; one letter when the choice is clear; several
        letters for a hedge.

    >>> read_choice("<think>A? No.</think> The answer is (C).")
    (['C'], 'letter')
    >>> read_choice("Final answer: A or C")
    (['A', 'C'], 'letter')
    >>> read_choice("<answer>Rome</answer>", ["Paris", "Rome"])
    (['B'], 'option text')
    """
    config = config or ChoiceConfig()
    region = last_tag_content(text, "answer")
    in_tag = region is not None
    if region is None:
        close = text.rfind(END_THINK)
        if close >= 0:
            region = text[close + len(END_THINK) :]
        elif THINK in text:
            return [], "the <think> block never closes"
        else:
            region = text
    region = region[-config.tail_chars :]
    if not region.strip():
        return [], "the final part is empty"
    last_marker = None
    for last_marker in _MARKER.finditer(region):  # noqa: B007  # the last one is wanted
        pass
    last_reverse = None
    for last_reverse in _REVERSE.finditer(region):  # noqa: B007
        pass
    box = max(region.rfind("\\boxed"), region.rfind("\\fbox"))
    starts = {
        "box": box,
        "marker": last_marker.start() if last_marker else -1,
        "reverse": last_reverse.start() if last_reverse else -1,
    }
    kind = max(starts, key=lambda k: starts[k])
    if starts[kind] >= 0:
        if kind == "box":
            phrase = last_boxed(region)
            if phrase is None:
                return [], "the last \\boxed{} is not closed"
        elif kind == "marker":
            phrase = region[last_marker.end() :].lstrip(" \t\n*#:")  # type: ignore[union-attr]
        else:
            letter = last_reverse.group(1) or last_reverse.group(2)  # type: ignore[union-attr]
            return [letter.upper()], "letter"
        letters, how = _read_phrase(phrase, options, config.match_text)
        return letters, how or "the final statement names no option"
    if in_tag:
        letters, how = _read_phrase(region.strip(), options, config.match_text)
        if letters:
            return letters, how
        hedge = _OR_HEDGE.search(region)
        if hedge and hedge.group(1) != hedge.group(2):
            return [hedge.group(1), hedge.group(2)], "letter"
    last_option = None
    for last_option in _OPTION.finditer(region):  # noqa: B007
        pass
    if last_option is not None:
        letters, how = _read_phrase(region[last_option.end() :], options, config.match_text)
        before = _BEFORE.search(region, max(0, last_option.start() - 20), last_option.start())
        if letters and before:
            return [before.group(1), *letters], how
        if letters:
            return letters, how
    if in_tag:
        return [], "the <answer> tag names no option"
    lines = [line for line in region.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    if len(last) <= 100:
        letters, how = _read_phrase(last, options, config.match_text)
        if letters:
            return letters, how
    return [], "no final choice found"


def grade_choice(text: str, answer: Any, choices: Any, config: ChoiceConfig) -> Verdict:
    """The per-row kernel of :class:`ChoiceReward` (pure; never raises on model output).

    Args:
        text: The completion's text.
        answer: The row's ``answer`` (letter, 0-based index or option text).
        choices: The row's ``choices``/``options`` value, or ``None``.
        config: The reward's config.

    >>> grade_choice("**Answer: B**", "B", None, ChoiceConfig()).status.value
    'correct'
    >>> grade_choice("The answer is A or B.", "B", None, ChoiceConfig()).status.value
    'ambiguous'
    """
    options = None
    if choices is not None:
        options = option_texts(choices)
        if options is None:
            return Verdict(None, Status.BAD_REFERENCE, detail=f"choices {str(choices)[:60]!r} are not a list of texts")
    gold = reference_letter(answer, options)
    if gold is None:
        return Verdict(None, Status.BAD_REFERENCE, detail=f"answer {str(answer)[:40]!r} is not an offered option")
    letters, how = read_choice(text, options, config=config)
    if not letters:
        return Verdict(config.low, Status.NO_ANSWER, detail=how)
    distinct = sorted(set(letters))
    if len(distinct) > 1:
        return Verdict(config.low, Status.AMBIGUOUS, extracted="|".join(distinct), detail=f"hedge: {how}")
    letter = distinct[0]
    if letter == gold:
        return Verdict(config.high, Status.CORRECT, extracted=letter, detail=f"{how}; answer {gold}")
    beyond = options is not None and LETTERS.index(letter) >= len(options)
    detail = f"{letter} is not an offered option" if beyond else f"{how}; answer {gold}"
    return Verdict(config.low, Status.INCORRECT, extracted=letter, detail=detail)


class ChoiceReward(RowReward[ChoiceConfig]):
    """Multiple-choice accuracy against the ``answer`` column (letter, index or option text).

    The optional ``choices`` (MMLU) or ``options`` (MMLU-Pro) column holds the option texts.

    >>> from verifiers import choice_reward
    >>> choice_reward(["The answer is (C).", "Answer: A or C", r"\\boxed{D}"], answer=["C", "C", 2])
    [1.0, 0.0, 0.0]
    """

    name = "choice"
    config_class = ChoiceConfig
    columns = ("answer",)
    optional_columns = ("choices", "options")

    def grade(self, text: str, row: Mapping[str, Any]) -> Verdict:
        choices = row.get("choices")
        if choices is None:
            choices = row.get("options")
        return grade_choice(text, row["answer"], choices, self.config)


#: The default instance: ``from verifiers import choice_reward``.
choice_reward = ChoiceReward()
