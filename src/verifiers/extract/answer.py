"""Find the final answer in a completion: the last ``\\boxed{...}`` and/or ``<answer>...</answer>``.

Everything here is linear in the length of the text (``str.rfind`` from the end, then one
bounded scan forward), so a hostile completion of megabytes with thousands of ``\\boxed`` costs
one pass, not one pass per occurrence.
"""

from __future__ import annotations

from verifiers.extract.tags import last_tag_content

__all__ = ["MAX_ANSWER_CHARS", "extract_answer", "last_boxed"]

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
    """The final answer of a completion, or ``None``.

    Order: inside the last ``<answer>...</answer>`` the last ``\\boxed{}`` if any, else the
    whole tag content; with no answer tag, the last ``\\boxed{}`` of the text. An empty answer
    is ``None``. Text such as "the answer is 5" without a box or tag is not read (see
    ``docs/rewards/accuracy.md``).

    Args:
        text: The completion's text.
        limit: The longest answer accepted, in characters.

    Returns:
        The stripped answer, or ``None`` when there is none (or it is longer than ``limit``).

    >>> extract_answer(r"<think>..</think><answer>The answer is \\boxed{5}</answer>")
    '5'
    >>> extract_answer("<answer> 3/4 </answer>"), extract_answer(r"thus \\boxed{x+1}")
    ('3/4', 'x+1')
    """
    tagged = last_tag_content(text, "answer")
    if tagged is not None:
        inner = last_boxed(tagged, limit=limit)
        if inner is not None:  # a box inside the tag is the answer, even an empty one (then None)
            return inner.strip() or None
        tagged = tagged.strip()
        return tagged if tagged and len(tagged) <= limit else None
    boxed = last_boxed(text, limit=limit)
    return boxed.strip() if boxed is not None and boxed.strip() else None
