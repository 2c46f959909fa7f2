"""Find the final answer in a completion: the last ``\\boxed{...}`` and/or ``<answer>...</answer>``.

Everything here is linear in the length of the text (``str.rfind`` from the end, then one
bounded scan forward), so a hostile completion of megabytes with thousands of ``\\boxed`` costs
one pass, not one pass per occurrence.
"""

from __future__ import annotations

import re

from verifiers.extract.tags import last_tag_content

__all__ = ["MAX_ANSWER_CHARS", "STRATEGIES", "answer_candidates", "extract_answer", "last_boxed", "last_boxes"]

#: Answers longer than this are not answers (and are never handed to a parser).
MAX_ANSWER_CHARS = 1000

_BOXED_COMMANDS = ("\\boxed", "\\fbox")


def _balanced_group(text: str, start: int, limit: int) -> str | None:
    """The content of the brace group opening at ``text[start] == '{'``, or None if unclosed
    within ``limit`` characters."""
    depth = 0
    end = min(len(text), start + limit + 2)
    i = start
    while i < end:
        ch = text[i]
        if ch == "\\":  # skip escaped characters such as \{ and \}
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i]
        i += 1
    return None


def last_boxed(text: str, *, limit: int = MAX_ANSWER_CHARS) -> str | None:
    """The content of the last ``\\boxed{...}`` (or ``\\fbox{...}``, or ``\\boxed 5``) in ``text``.

    Returns ``None`` when there is none, or when the last one is not closed within ``limit``
    characters (a truncated completion has no final answer; an earlier box is not taken instead).

    Args:
        text: The text to search.
        limit: The longest box content accepted, in characters.

    Returns:
        The content of the last box (unstripped), or ``None``.

    >>> last_boxed(r"so \\boxed{1} or rather \\boxed{\\frac{1}{2}}.")
    '\\\\frac{1}{2}'
    >>> last_boxed(r"\\boxed 7") , last_boxed(r"\\boxed{unclosed") , last_boxed("none")
    ('7', None, None)
    """
    pos = max(text.rfind(cmd) for cmd in _BOXED_COMMANDS)
    if pos < 0:
        return None
    i = pos + 1
    while i < len(text) and text[i].isalpha():  # skip the command name
        i += 1
    rest_start = i
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] == "{":
        return _balanced_group(text, i, limit)
    if i > rest_start:  # "\boxed 7": the argument is the next token
        j = i
        while j < len(text) and j - i < limit and not text[j].isspace() and text[j] not in "$.,;":
            j += 1
        return text[i:j] or None
    return None


def extract_answer(text: str, *, limit: int = MAX_ANSWER_CHARS) -> str | None:
    """R1's final answer only: the first of :func:`answer_candidates` with the ``answer_tag``
    and ``boxed`` strategies (no prose is read), or ``None``.

    Args:
        text: The completion's text.
        limit: The longest answer accepted, in characters.

    Returns:
        The stripped answer, or ``None`` when there is none (or it is longer than ``limit``).

    >>> extract_answer(r"<think>..</think><answer>The answer is \\boxed{5}</answer>")
    '5'
    >>> extract_answer("<answer> 3/4 </answer>"), extract_answer(r"thus \\boxed{x+1}"), extract_answer("7")
    ('3/4', 'x+1', None)
    """
    found = answer_candidates(text, strategies=("answer_tag", "boxed"), limit=limit)
    return found[0][1] if found else None


# ---------------------------------------------------------------------------------------------
# The final answer of a completion that does not box it: candidates, most trusted first.

#: Strategies of :func:`answer_candidates`, in their default order.
STRATEGIES = ("answer_tag", "boxed", "phrase", "latex", "number")
#: How much of the end of a completion the prose strategies read.
TAIL_CHARS = 4000
#: Most candidates returned.
MAX_CANDIDATES = 8

#: Phrases that announce the answer: strong ones first, then conclusions ("therefore").
_PHRASES = (
    re.compile(
        r"(?im:final\s+answer(?:\s+is)?|the\s+answer\s+is|answer\s*(?:is)?\s*[:：=]|\banswer\s+is"
        r"|(?:result|solution|value|option|choice)\s+is)|答案(?:是|为|：|:)|最终答案(?:是|为)?[：:]?|故选|应选|选|^\s*答[：:]"
        r"|####"
    ),
    re.compile(r"(?i:therefore,?\s+(?:we\s+get\s+)?|thus,?\s+|hence,?\s+|so,?\s+)|所以|因此|故"),
)
_ENV = re.compile(
    r"\$\$(?P<dd>(?:[^$]|\$(?!\$)){1,1000}?)\$\$|\\\[(?P<db>(?:[^\\]|\\(?!\]))"
    r"{1,1000}?)\\\]|\\\((?P<ip>(?:[^\\]|\\(?!\))){1,1000}?)\\\)|(?<![\\\d])\$(?P<id>(?:\\\$|[^\n$]){1,1000}?)(?<!\\)\$"
    r"|(?<![\\\d$])\$(?P<ml>\s*\n[^$\n]{1,200}\n\s*)\$"
)
_NUMBER = re.compile(
    r"(?<![\w.^_{}])-?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?: \d{3})+(?![\d.])|\d+,\d{2}(?![\d,])"
    r"|\d+(?:\.\d+)?|\.\d+)"
    r"(?:\s*/\s*\d+)?"
    r"(?:\s*(?:%|percent))?(?![\d^_])(?![.,]\d)"
)
#: What may stand between boxes (or formulas) that together make one answer: \boxed{1}, \boxed{2}.
_JOINER = re.compile(r"(?:\s|,|;|\$|\\quad|\\qquad|\\[,;]|\\text\{\s*(?:and|or|,)\s*\}|\band\b|\\\]|\\\[|\\\)|\\\()*")
_IS = re.compile(r"(?i:\s(?:is|are|equals|was|were)\s|=)|是|为")
_END_OF_ANSWER = re.compile(
    r"\.(?:\s|$)|\n|;|,\s+(?:so|which|and\s+(?:the|this|that))\b|\s+(?:I\s+hope|because|since)\b"
)


def last_boxes(text: str, *, limit: int = MAX_ANSWER_CHARS, most: int = 10, loose: bool = False) -> list[str]:
    """The last box, with the boxes just before it that only commas, "and", ``\\quad`` or
    math delimiters separate from it (``\\boxed{1}, \\boxed{2}`` is one answer of two
    parts; prose between boxes ends the answer).

    >>> last_boxes(r"so \\boxed{3}? No: \\boxed{1} and \\boxed{2}")
    ['1', '2']
    """
    boxes: list[str] = []
    end = len(text)
    while len(boxes) < most:
        pos = max(text.rfind(cmd, 0, end) for cmd in _BOXED_COMMANDS)
        if pos < 0:
            break
        content = last_boxed(text[:end], limit=limit) if not boxes else _box_at(text, pos, limit)
        if content is None or not content.strip():
            break
        if boxes and pos + len(_box_source(text, pos, content)) > end:
            break  # a box around the later one (\\boxed{\\boxed{1}}): not a second part
        if boxes:
            gap = text[pos + len(_box_source(text, pos, content)) : end]
            conjunction = loose and len(gap) <= 40 and _AND.search(gap) and not _SENTENCE.search(gap)
            joined = _JOINER.fullmatch(gap) or conjunction
            if not joined:
                break
        boxes.insert(0, content.strip())
        end = pos
    return list(dict.fromkeys(boxes))  # the same box repeated is one answer


def _box_at(text: str, pos: int, limit: int) -> str | None:
    i = text.index("{", pos) if "{" in text[pos : pos + 8] else -1
    return _balanced_group(text, i, limit) if i >= 0 else None


def _box_source(text: str, pos: int, content: str) -> str:
    brace = text.find("{", pos)
    return text[pos : brace + 1] + content + "}" if 0 <= brace < pos + 8 else text[pos:pos]


def _joined_envs(tail: str, envs: list[re.Match[str]]) -> str | None:
    """Formulas joined by "and" / "," at the end: ``\\(x = 2\\) and \\(x = 5\\)``."""
    parts: list[str] = []
    prev_start = len(tail)
    for m in reversed(envs):
        if parts:
            gap = tail[m.end() : prev_start]
            if not _JOINER.fullmatch(gap) or len(gap) > 40:
                break
        parts.insert(0, next(g for g in m.groups() if g is not None).strip())
        prev_start = m.start()
    return ", ".join(parts) if len(parts) > 1 else None


_AND = re.compile(r"\band\b|,|&|和|及")
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"(?<!\d)[.?!](?:\s+|$)|\n|[。？！]")


_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+")


def _computed_value(formula: str) -> str:
    """A final formula that is a computation with numbers only (``3 + 4 = 7``,
    ``\\frac{1}{2} \\$ = \\frac{10}{9}``) is read as its result, as math-verify reads it;
    formulas with variables (``y = 2x + 1``) stay whole."""
    if "=" not in formula or "," in formula or _LATEX_COMMAND.sub("", formula).lower() != _LATEX_COMMAND.sub(
        "", formula
    ).upper():
        return formula
    last = formula.rsplit("=", 1)[1].strip()
    return last or formula


def _outside_think(body: str, text: str) -> str:
    """What the prose strategies may read: never the thoughts (a completion cut off inside
    ``<think>`` has no answer, however many numbers its thoughts hold)."""
    if body is not text or "<think>" not in body:
        return body
    start = body.find("<think>")
    end = body.find("</think>", start)
    return body[:start] if end < 0 else body[:start] + body[end + 8 :]


def _last_paragraph(text: str) -> str:
    """The last paragraph that holds a formula, among the last three (a closing "I think that's
    right." does not hide the answer above it)."""
    parts = [p for p in _PARAGRAPH.split(text) if p.strip()][-3:]
    for part in reversed(parts):
        if _ENV.search(part):
            return part
    return parts[-1] if parts else ""


def _last_sentence(text: str) -> str:
    parts = [p for p in _SENTENCE.split(text) if p.strip()]
    return parts[-1] if parts else ""


def announced_answer(text: str, *, limit: int = MAX_ANSWER_CHARS) -> list[str]:
    """Readings of the answer announced last by a strong phrase ("the final answer is",
    "Answer:", "答案是"), for a worked reference solution without a box.

    >>> announced_answer("We add them. The final answer is $14{,}916$. I hope it is correct.")[0]
    '14{,}916'
    """
    last = None
    for m in _PHRASES[0].finditer(text[-TAIL_CHARS:]):
        last = m
    if last is None:
        return []
    answer = _until_sentence_end(text[-TAIL_CHARS:][last.end() :])
    if not answer or len(answer) > limit:
        return []
    return [answer, *_within_phrase(answer)]


def _within_phrase(answer: str) -> list[str]:
    """Readings of an announced answer that is prose: what follows its last "is" or "=",
    its last number, its last formula ("the largest $n$ is 34" → "34")."""
    out = []
    found = None
    for m in _IS.finditer(answer):
        found = m
    if found is not None and answer[found.end() :].strip():
        out.append(_until_sentence_end(answer[found.end() :]))
    envs = list(_ENV.finditer(answer))
    if envs:
        out.append(next(g for g in envs[-1].groups() if g is not None).strip())
    number = None
    for m in _NUMBER.finditer(answer):
        number = m
    if number is not None:
        out.append(number.group(0).strip())
    return [a for a in out if a]


_MATHY = re.compile(r"[\d\\$=^]|^\s*\(?[A-Za-z]\)?\s*$")


def _until_sentence_end(text: str) -> str:
    text = text.lstrip(" :：=*")
    if text.startswith("$$") or text.startswith("\\[") or text.startswith("\\(") or text.startswith("$"):
        m = _ENV.match(text)
        if m:
            return next(g for g in m.groups() if g is not None)
    m = _END_OF_ANSWER.search(text)
    answer = text[: m.start()] if m else text[:200]
    return answer.strip().strip("*").strip()


def answer_candidates(
    text: str, *, strategies: tuple[str, ...] = STRATEGIES, limit: int = MAX_ANSWER_CHARS
) -> list[tuple[str, str]]:
    """Candidate final answers of a completion, most trusted first, as ``(strategy, answer)``.

    When the text has a ``</think>``, the part after the last one (R1's answer section) is
    searched first, and the whole text only when nothing is found there. The strategies
    (``docs/rewards/accuracy.md``), in the default order:

    * ``answer_tag``: inside the last closed ``<answer>`` pair, its last ``\\boxed{}``; else
      the tag's content; when that content is prose, the prose strategies below run on it.
    * ``boxed``: the last ``\\boxed{}`` / ``\\fbox{}`` of the text. When the tag or the box
      strategy finds an answer, that answer is the only candidate (a truncated last box means
      no answer; an earlier box is not taken instead).
    * ``phrase``: the answer after the last "final answer is", "the answer is", "Answer:",
      "答案是", GSM8K's "####", then "therefore", ... in the last ``TAIL_CHARS`` characters.
    * ``latex``: the content of the last ``$...$``, ``$$...$$``, ``\\[...\\]``, ``\\(...\\)``
      (a computation with numbers only, ``3 + 4 = 7``, is read as its result).
    * ``number``: the last number (``7,425,000``, ``-3.5``, ``3/4``, ``12%``) of the text.

    The caller grades the first candidate it can read; it never tries the next one because
    the first was wrong (that would reward listing many answers).

    >>> answer_candidates(r"so \\boxed{7}.")
    [('boxed', '7')]
    >>> answer_candidates("The final answer is 7,425,000. I hope it is correct.")[0]
    ('phrase', '7,425,000')
    >>> answer_candidates(r"Adding, $3 + 4 = 7$.")
    [('latex', '7')]
    """
    end_think = text.rfind("</think>")
    if end_think >= 0 and text[end_think + 8 :].strip():  # R1: the answer section comes first
        found = answer_candidates(text[end_think + 8 :], strategies=strategies, limit=limit)
        if found:
            return found
    out: list[tuple[str, str]] = []
    body = text
    for strategy in strategies:
        if strategy == "answer_tag":
            tagged = last_tag_content(text, "answer")
            if tagged is None:
                continue
            inner = last_boxed(tagged, limit=limit)
            if inner is not None:
                return [("answer_tag", inner.strip())] if inner.strip() else []
            tagged = tagged.strip()
            if tagged and len(tagged) <= limit:
                out.append(("answer_tag", tagged))
            body = tagged  # prose inside the tag: the prose strategies read the tag only
        elif strategy == "boxed":
            if body is not text:
                continue
            if "\\boxed" in text or "\\fbox" in text:
                boxes = last_boxes(text, limit=limit)
                return [("boxed", ", ".join(boxes))] if boxes else []
        elif strategy == "phrase":
            tail = _outside_think(body, text)[-TAIL_CHARS:]
            for strong, phrase in zip((True, False), _PHRASES):
                last = None
                for m in phrase.finditer(tail):
                    last = m
                if last is not None:
                    answer = _until_sentence_end(tail[last.end() :])
                    if not strong and not _MATHY.search(answer):
                        continue  # "so we get": a conclusion word, not an answer
                    if answer and len(answer) <= limit:
                        out.append(("phrase", answer))
                        out.extend(("phrase", a) for a in _within_phrase(answer))
        elif strategy == "latex":
            tail = _last_paragraph(_outside_think(body, text)[-TAIL_CHARS:])
            envs = list(_ENV.finditer(tail))[-6:]
            joined = _joined_envs(tail, envs)
            if joined:
                out.append(("latex", joined))
            for m in reversed(envs[-3:]):
                content = _computed_value(next(g for g in m.groups() if g is not None).strip())
                if content and len(content) <= limit:
                    out.append(("latex", content))
            if not envs and tail.strip() and len(tail.strip()) <= 200:
                out.append(("latex", tail.strip()))  # a bare formula: \frac{10}{9}
        elif strategy == "number":
            tail = _last_sentence(_outside_think(body, text)[-TAIL_CHARS:])
            last_number = None
            for m in _NUMBER.finditer(tail):
                last_number = m
            if last_number is not None:
                out.append(("number", last_number.group(0).strip()))
        if len(out) >= MAX_CANDIDATES:
            break
    seen: set[str] = set()
    unique = []
    for strategy, answer in out[:MAX_CANDIDATES]:
        if answer not in seen:
            seen.add(answer)
            unique.append((strategy, answer))
    return unique
