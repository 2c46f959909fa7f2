"""The one reader of DeepSeek-R1's tags: ``<think>``, ``</think>``, ``<answer>``, ``</answer>``.

One set of rules for every reward: tags are matched literally and case-sensitively
(``<THINK>`` or ``<think >`` is ordinary text, not a tag), anywhere in the text, including
inside Markdown code fences (a fence is not parsed, so a model cannot hide a tag in one).
Every function is one linear scan: the tag pattern starts with a literal and has no repetition.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = [
    "ANSWER",
    "END_ANSWER",
    "END_THINK",
    "TAGS",
    "THINK",
    "count_tags",
    "last_tag_content",
    "tag_pattern",
    "think_content",
]

THINK, END_THINK, ANSWER, END_ANSWER = "<think>", "</think>", "<answer>", "</answer>"
#: The four tags, in the order the R1 template has them.
TAGS = (THINK, END_THINK, ANSWER, END_ANSWER)

_ANY_TAG = re.compile("<(?:think|/think|answer|/answer)>")
_THINK_TAG = re.compile("</?think>")
_TAG_LIST = list(TAGS)


def tag_pattern(think_only: bool = False) -> re.Pattern[str]:
    """The compiled pattern that finds the four tags (or only ``<think>`` and ``</think>``)."""
    return _THINK_TAG if think_only else _ANY_TAG


def count_tags(text: str) -> tuple[int, int, int, int]:
    """How many times each of ``<think>``, ``</think>``, ``<answer>``, ``</answer>`` occurs.

    >>> count_tags("<think>a</think><answer>b</answer></answer>")
    (1, 1, 1, 2)
    """
    tags = _ANY_TAG.findall(text)
    if tags == _TAG_LIST:
        return (1, 1, 1, 1)
    return (tags.count(THINK), tags.count(END_THINK), tags.count(ANSWER), tags.count(END_ANSWER))


def last_tag_content(text: str, tag: str, *, limit: int | None = None) -> str | None:
    """The content of the last ``<tag>...</tag>`` pair in ``text`` (case-sensitive).

    Args:
        text: The text to search.
        tag: The tag name, without angle brackets.
        limit: When given, content longer than this is ``None``.

    Returns:
        The content between the last closing tag and the opening tag before it, or ``None``.

    >>> last_tag_content("<answer>1</answer> <answer> 2 </answer>", "answer")
    ' 2 '
    >>> last_tag_content("<answer>open", "answer") is None
    True
    """
    close = text.rfind(f"</{tag}>")
    if close < 0:
        return None
    open_tag = f"<{tag}>"
    start = text.rfind(open_tag, 0, close)
    if start < 0:
        return None
    content = text[start + len(open_tag) : close]
    if limit is not None and len(content) > limit:
        return None
    return content


def think_content(text: str, scope: Literal["auto", "think", "completion"] = "auto") -> str | None:
    """The chain of thought of a completion.

    ``<think>...</think>``: its content (from the first ``<think>`` to the last ``</think>``). A
    lone ``</think>`` (the prompt pre-filled ``<think>``): the text before it. A lone
    ``<think>`` (a truncated completion): the text after it. No tags: the whole completion with
    ``scope="auto"``, ``None`` with ``scope="think"``. ``scope="completion"``: always the whole text.

    Args:
        text: The completion's text.
        scope: ``"auto"``, ``"think"`` or ``"completion"``.

    Returns:
        The chain of thought, or ``None`` when ``scope="think"`` and there is no think tag.

    >>> think_content("<think>reasoning</think> answer"), think_content("pre-filled</think> answer")
    ('reasoning', 'pre-filled')
    >>> think_content("no tags"), think_content("no tags", "think"), think_content("<THINK>x</THINK>", "think")
    ('no tags', None, None)
    """
    if scope == "completion":
        return text
    close = text.rfind(END_THINK)
    if close >= 0:
        start = text.find(THINK, 0, close)
        return text[start + len(THINK) if start >= 0 else 0 : close]
    start = text.find(THINK)
    if start >= 0:
        return text[start + len(THINK) :]
    return text if scope == "auto" else None
