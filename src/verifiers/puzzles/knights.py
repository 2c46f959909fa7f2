"""``knights_knaves_reward``: Logic-RL's Knights and Knaves puzzles.

Each inhabitant is a knight (always tells the truth) or a knave (always lies); the model must
say which (Xie et al. 2025, "Logic-RL: Unleashing LLM Reasoning with Rule-Based Reinforcement
Learning", arXiv:2502.14768; puzzles from Xie et al. 2024, "On Memorization of Large Language
Models in Logical Reasoning", the ``K-and-K/knights-and-knaves`` dataset). Columns: ``names``
and the reference, as ``solution`` (truth values, ``True`` = knight, the dataset's column) or
``solution_text_format`` / ``solution_text`` (``"(1) Zoey is a knight\\n(2) ..."``).

**Where the answer is read.** The last ``<answer>...</answer>``; without one, the text after
the last ``</think>`` (an unclosed ``<think>`` is a cut-off completion: no answer), or the whole
text; then, without a tag, what follows the last "CONCLUSION:" / "Final answer:" / "Answer:"
heading, or else the fewest final paragraphs that name everyone. Only the last ``tail_chars``
characters are read.

**How roles are read.** The text is cut into sentences and lines (``.``, ``;``, ``!``, ``?``
before a space, and newlines). In each, names and role words (``knight(s)``, ``knave(s)``,
case-insensitive; names as written in ``names`` or in capitals) are read in order: a role word
applies to the names since the previous role word ("Zoey and Ella are knights", "(1) Zoey is a
knight", "Zoey: knave", "| Zoey | Knight |"), or, when the sentence opens with a role word, to
the names after it ("Knights: Zoey, Ella"). A "not", "n't", "never" or "no" between them
inverts it ("Zoey is not a knight" is a knave). A second role word with no new name applies to
the same names again, so "Zoey is a knave, not a knight" is consistent and "Zoey is a knight or
a knave" is a contradiction (when the second follows within 30 characters and no other
capitalised word comes between: in "Oliver is a knave, Mia is a knight" with no Mia in the
cast, the second is about Mia and is ignored). A possessive ("Zoey's statement") is not a mention.

**Scoring.** Every person must get a role, and nobody two different ones (a contradiction is
``ambiguous``; the same role twice is fine). ``scoring="all"`` (Logic-RL): ``high`` when every
role is right, else ``low``. ``scoring="fraction"``: ``low + (high - low) * right / people``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from verifiers.base import RewardConfig, RowReward
from verifiers.errors import ConfigError
from verifiers.extract.tags import END_THINK, THINK, last_tag_content
from verifiers.types import Status, Verdict

__all__ = [
    "KnightsConfig",
    "KnightsKnaves",
    "grade_knights",
    "knights_knaves_reward",
    "read_roles",
]

KNIGHT, KNAVE = True, False
_HEADING = re.compile(r"(?i)\b(?:conclusion|final\s+answer|answer|solution)\b[ \t]*\**[ \t]*:")
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
# Between two role words, a capitalised word is someone else ("..., Mia is a knight" with Mia not
# in the cast): the second role word is then not about the first one's people.
_SOMEONE = re.compile(r"[A-Z][a-z]")
#: The longest gap after a role word over which a second role word still applies to the same
#: people ("a knave, not a knight"; "a knight or a knave").
MAX_GAP = 30
MAX_PEOPLE = 64


@dataclass(frozen=True, kw_only=True)
class KnightsConfig(RewardConfig):
    """Config of :class:`KnightsKnaves`.

    Args:
        low: Reward for a wrong, incomplete, contradictory or missing answer (model's fault).
        high: Reward for an answer with every role right.
        scoring: ``"all"`` (Logic-RL: all right or nothing) or ``"fraction"`` (the share of
            people whose role is right, for a complete and consistent answer).
        knight_words: Words for a knight (singular; a final "s" is read too). Puzzles that use
            other words ("saint", "pioneer") set them here; a string is split at commas, ``|``
            and spaces (``"knight|truth-teller"``).
        knave_words: Words for a knave.
        tail_chars: Only the last this many characters of the final part are read.
    """

    scoring: Literal["all", "fraction"] = "all"
    knight_words: tuple[str, ...] = field(default=("knight",), metadata={"sig": "knight"})
    knave_words: tuple[str, ...] = field(default=("knave",), metadata={"sig": "knave"})
    tail_chars: int = field(default=4000, metadata={"sig": "tail"})

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("knight_words", "knave_words"):
            words = getattr(self, name)
            if isinstance(words, str):  # the CLI's --set knights_knaves.knave_words='knave|liar'
                words = tuple(w for w in re.split(r"[,|\s]+", words.strip()) if w)
            elif isinstance(words, list):  # JSON
                words = tuple(words)
            object.__setattr__(self, name, words)
            if (
                not isinstance(words, tuple)
                or not words
                or not all(isinstance(w, str) and re.fullmatch(r"[A-Za-z][A-Za-z\-]*", w) for w in words)
            ):
                raise ConfigError(f"KnightsConfig.{name} must be a tuple of words, not {words!r}")
        if {w.lower() for w in self.knight_words} & {w.lower() for w in self.knave_words}:
            raise ConfigError("a word cannot mean both knight and knave")
        if not 100 <= self.tail_chars <= 1_000_000:
            raise ConfigError(f"tail_chars must be in [100, 1000000], not {self.tail_chars}")


_WORD = re.compile(r"[^\W\d_][\w'’-]*|[.;!?](?=\s|$)|\n")
_SIMPLE_NAME = re.compile(r"[^\W\d_][\w'’-]*")
_NEGATIONS = frozenset({"not", "never", "no"})
Token = tuple[str, str, int, int]  # (kind, name, start, end); kind: name, knight, knave, neg, stop


class _Cast:
    """How to find the cast's names and the role words in a text (built once per cast).

    When every name is one word (the K&K datasets), the text is cut into words by one simple
    pattern and each word is looked up in dicts; otherwise (a name with spaces, dots or
    brackets) one pattern with every spelling is used. Both read the same tokens: a name as
    written or in capitals, not inside a longer word and not possessive; a role word in any case
    (singular or plural); "not", "never", "no" or a word ending in "n't"; a sentence end.
    """

    def __init__(
        self, names: tuple[str, ...], knights: tuple[str, ...], knaves: tuple[str, ...], *, by_pattern: bool = False
    ) -> None:
        self.spellings = {v: name for name in names for v in (name.upper(), name)}
        self.roles = {w.lower() + s: kind for kind, words in (("knight", knights), ("knave", knaves))
                      for w in words for s in ("", "s")}
        self.pattern: re.Pattern[str] | None = None
        if by_pattern or not all(_SIMPLE_NAME.fullmatch(v) for v in self.spellings):
            variants = sorted(self.spellings, key=len, reverse=True)
            alternation = "|".join(re.escape(v) for v in variants)
            knight = "|".join(re.escape(w) for w in knights)
            knave = "|".join(re.escape(w) for w in knaves)
            self.pattern = re.compile(
                rf"(?<![\w'’])(?P<name>{alternation})(?![\w'’-])"
                rf"|(?i:\b(?P<knight>(?:{knight})s?)\b)"
                rf"|(?i:\b(?P<knave>(?:{knave})s?)\b)"
                r"|(?i:(?P<neg>\bnot\b|n[’']t\b|\bnever\b|\bno\b))"
                r"|(?P<stop>[.;!?](?=\s|$)|\n)"
            )

    def tokens(self, text: str) -> Iterator[Token]:
        spellings, roles = self.spellings, self.roles
        if self.pattern is not None:
            for match in self.pattern.finditer(text):
                kind = match.lastgroup or "stop"
                yield kind, spellings.get(match.group(), ""), match.start(), match.end()
            return
        for match in _WORD.finditer(text):
            word = match.group()
            name = spellings.get(word)
            if name is not None:
                yield "name", name, match.start(), match.end()
                continue
            lower = word.lower()
            role = roles.get(lower)
            if role is not None:
                yield role, "", match.start(), match.end()
            elif lower in _NEGATIONS or lower.endswith(("n't", "n’t")):
                yield "neg", "", match.start(), match.end()
            elif not word[0].isalpha():
                yield "stop", "", match.start(), match.end()


@functools.lru_cache(maxsize=512)
def _cast(names: tuple[str, ...], knights: tuple[str, ...], knaves: tuple[str, ...]) -> _Cast:
    return _Cast(names, knights, knaves)


def _scan(text: str, cast: _Cast) -> dict[str, set[bool]]:
    """Every role each person is given in ``text``."""
    roles: dict[str, set[bool]] = {}
    pending: list[str] = []
    group: list[str] = []
    role_first: bool | None = None  # None: no token yet in this sentence
    current: bool | None = None
    negated = False
    role_end = 0
    for kind, name, start, end in cast.tokens(text):
        if kind == "stop":
            pending, group, role_first, current, negated = [], [], None, None, False
        elif kind == "neg":
            negated = True
        elif kind == "name":
            if role_first is None:
                role_first = False
            if role_first and current is not None:
                roles.setdefault(name, set()).add(current)
            else:
                pending.append(name)
            negated = False
        else:
            role = (kind == "knight") != negated
            if role_first is None:
                role_first = True
            if role_first:
                current = role
            elif pending:
                for person in pending:
                    roles.setdefault(person, set()).add(role)
                group, pending = pending, []
            else:
                gap = text[role_end:start]
                if len(gap) <= MAX_GAP and not _SOMEONE.search(gap):
                    for person in group:
                        roles.setdefault(person, set()).add(role)
            role_end = end
            negated = False
    return roles


def _final_part(text: str, tail: int) -> tuple[str | None, bool]:
    """``(region, tagged)``: where the answer is; ``None`` when the thinking never ended."""
    tagged = last_tag_content(text, "answer")
    if tagged is not None:
        return tagged[-tail:], True
    close = text.rfind(END_THINK)
    if close >= 0:
        text = text[close + len(END_THINK) :]
    elif THINK in text:
        return None, False
    text = text[-tail:]
    last = None
    for last in _HEADING.finditer(text):  # noqa: B007  # the last heading is wanted
        pass
    if last is not None:
        return text[last.end() :], True
    return text, False


def read_roles(text: str, names: Sequence[str], config: KnightsConfig | None = None) -> dict[str, set[bool]] | None:
    """The roles a completion gives each person (``True`` = knight), or ``None`` when the
    completion was cut off inside ``<think>``.

    >>> read_roles("<answer>(1) Zoey is a knight\\n(2) Oliver is a knave</answer>", ["Zoey", "Oliver"])
    {'Zoey': {True}, 'Oliver': {False}}
    >>> read_roles("Answer: Zoey is a knight or a knave; Oliver is not a knight.", ["Zoey", "Oliver"])
    {'Zoey': {False, True}, 'Oliver': {False}}
    """
    config = config or KnightsConfig()
    region, whole = _final_part(text, config.tail_chars)
    if region is None:
        return None
    people = tuple(names)
    cast = _cast(people, config.knight_words, config.knave_words)
    if whole:
        return _scan(region, cast)
    # no tag and no heading: the fewest final paragraphs that give everyone a role (a paragraph
    # break ends a sentence, so paragraphs are read one by one and their roles merged)
    roles: dict[str, set[bool]] = {}
    for paragraph in reversed(_PARAGRAPH.split(region)):
        for name, found in _scan(paragraph, cast).items():
            roles.setdefault(name, set()).update(found)
        if len(roles) == len(people):
            break
    return roles


def _reference(
    names: Any, row: Mapping[str, Any], config: KnightsConfig
) -> tuple[tuple[str, ...], tuple[bool, ...]] | str:
    """``(names, roles)`` of a row, or the reason it is unusable."""
    if hasattr(names, "tolist"):  # numpy arrays
        names = names.tolist()
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence):
        return f"names {str(names)[:60]!r} is not a list"
    if not 1 <= len(names) <= MAX_PEOPLE:
        return f"names has {len(names)} entries"
    if not all(isinstance(n, str) and n.strip() and n == n.strip() for n in names):
        return "every name must be a non-empty string"
    people = tuple(names)
    if len(set(people)) != len(people) or len({n.upper() for n in people}) != len(people):
        return "names are not distinct"
    solution = row.get("solution")
    if solution is not None:
        if hasattr(solution, "tolist"):
            solution = solution.tolist()  # numpy arrays
        if isinstance(solution, (str, bytes)) or not isinstance(solution, Sequence) or len(solution) != len(people):
            return "solution is not one truth value per name"
        values = []
        for value in solution:
            if isinstance(value, bool):
                values.append(value)
            elif isinstance(value, str) and value.strip().lower() in {w.lower() for w in config.knight_words}:
                values.append(KNIGHT)
            elif isinstance(value, str) and value.strip().lower() in {w.lower() for w in config.knave_words}:
                values.append(KNAVE)
            else:
                return f"solution value {value!r} is not a truth value"
        return people, tuple(values)
    for column in ("solution_text_format", "solution_text"):
        text = row.get(column)
        if text is None:
            continue
        if not isinstance(text, str):
            return f"{column} is not text"
        roles = _scan(text, _cast(people, config.knight_words, config.knave_words))
        if len(roles) != len(people) or any(len(r) != 1 for r in roles.values()):
            return f"{column} does not give every name exactly one role"
        return people, tuple(next(iter(roles[n])) for n in people)
    return "no solution, solution_text_format or solution_text"


def grade_knights(text: str, row: Mapping[str, Any], config: KnightsConfig) -> Verdict:
    """The per-row kernel of :class:`KnightsKnaves` (pure; never raises on model output).

    Args:
        text: The completion's text.
        row: The row's columns: ``names``, and ``solution`` or ``solution_text_format`` or
            ``solution_text``.
        config: The reward's config.

    >>> row = {"names": ["Zoey", "Oliver"], "solution": [True, False]}
    >>> grade_knights("<answer>Zoey: knight, Oliver: knave</answer>", row, KnightsConfig()).status.value
    'correct'
    >>> grade_knights("<answer>Zoey is a knight</answer>", row, KnightsConfig()).detail
    'no role for Oliver'
    """
    reference = _reference(row.get("names"), row, config)
    if isinstance(reference, str):
        return Verdict(None, Status.BAD_REFERENCE, detail=reference)
    people, truth = reference
    roles = read_roles(text, people, config)
    if roles is None:
        return Verdict(config.low, Status.NO_ANSWER, detail="the <think> block never closes")
    if not roles:
        return Verdict(config.low, Status.NO_ANSWER, detail="no role given to anyone")
    shown = ", ".join(
        f"{n}: " + "/".join("knight" if r else "knave" for r in sorted(roles[n], reverse=True))
        for n in people if n in roles
    )
    both = [n for n in people if len(roles.get(n, ())) > 1]
    if both:
        detail = "both knight and knave: " + ", ".join(both)
        return Verdict(config.low, Status.AMBIGUOUS, extracted=shown, detail=detail)
    missing = [n for n in people if n not in roles]
    if missing:
        return Verdict(config.low, Status.INCORRECT, extracted=shown, detail="no role for " + ", ".join(missing))
    right = sum(next(iter(roles[n])) == t for n, t in zip(people, truth))
    wrong = [n for n, t in zip(people, truth) if next(iter(roles[n])) != t]
    if right == len(people):
        return Verdict(config.high, Status.CORRECT, extracted=shown, detail=f"all {right} right")
    detail = f"{right} of {len(people)} right; wrong: " + ", ".join(wrong)
    if config.scoring == "fraction" and right:
        value = config.low + (config.high - config.low) * right / len(people)
        return Verdict(value, Status.SCORED, extracted=shown, detail=detail)
    return Verdict(config.low, Status.INCORRECT, extracted=shown, detail=detail)


class KnightsKnaves(RowReward[KnightsConfig]):
    """Logic-RL's Knights and Knaves: is every inhabitant's role right?

    Columns: ``names``; the reference in ``solution`` (truth values, ``True`` = knight) or
    ``solution_text_format`` / ``solution_text``.

    >>> from verifiers import knights_knaves_reward
    >>> knights_knaves_reward(["<answer>(1) Zoey is a knight\\n(2) Oliver is a knave</answer>"],
    ...                       names=[["Zoey", "Oliver"]], solution=[[True, False]])
    [1.0]
    """

    name = "knights_knaves"
    config_class = KnightsConfig
    columns = ("names",)
    optional_columns = ("solution", "solution_text_format", "solution_text")

    def grade(self, text: str, row: Mapping[str, Any]) -> Verdict:
        return grade_knights(text, row, self.config)


#: The default instance: ``from verifiers import knights_knaves_reward``.
knights_knaves_reward = KnightsKnaves()
