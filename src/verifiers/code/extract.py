"""The program in a completion: the last fenced code block in the wanted language.

In order (the first that gives a non-empty program wins):

1. Only the text after the last ``</think>`` is read when there is one (code in the reasoning
   is a draft).
2. The last fenced block (```` ``` ```` or ``~~~``) tagged with the language (``python``, ``py``,
   ``python3``; ``cpp``, ``c++``, ``cc``, ``cxx``).
3. The last untagged fenced block.
4. No fenced block at all: the whole text, if it is a program (Python: it parses, joined to
   the prefix; C++: it has ``#include`` or ``main(``).

A block tagged with another language is never taken, and an empty result means the model gave
no program (its fault). At most :data:`MAX_PROGRAM_CHARS` characters of program are accepted.
"""

from __future__ import annotations

import ast
import re
import warnings

__all__ = ["LANGUAGE_TAGS", "MAX_PROGRAM_CHARS", "extract_program", "fenced_blocks"]

MAX_PROGRAM_CHARS = 200_000
LANGUAGE_TAGS = {
    "python": ("python", "py", "python3", "py3"),
    "cpp": ("cpp", "c++", "cc", "cxx", "cplusplus"),
}
_FENCE = re.compile(
    r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<tag>[^\n`]*)\n(?P<body>.*?)^[ \t]{0,3}(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """Every closed fenced block as ``(tag, body)``, tag lower-cased (first word only).

    >>> fenced_blocks("a\\n```Python\\nprint(1)\\n```\\n")
    [('python', 'print(1)\\n')]
    """
    return [((m["tag"].split() or [""])[0].lower(), m["body"]) for m in _FENCE.finditer(text)]


def tag_language(tag: str) -> str | None:
    """The language a fence tag names, if it is one we run."""
    for language, tags in LANGUAGE_TAGS.items():
        if tag in tags:
            return language
    return None


def extract_program(text: str, language: str | None, prefix: str = "") -> tuple[str, str] | None:
    """``(language, program)`` from a completion, or ``None`` when there is no program.

    Args:
        text: The completion's text.
        language: ``"python"``, ``"cpp"``, or ``None`` to take the last block in either (an
            untagged block is Python unless it looks like C++).
        prefix: Code the program will be joined to (HumanEval's prompt), for the unfenced case.

    >>> extract_program("I think...\\n```cpp\\nint main(){}\\n```\\nand\\n```python\\nprint(2)\\n```", "python")
    ('python', 'print(2)\\n')
    >>> extract_program("```text\\nhello\\n```", "python") is None
    True
    """
    if "</think>" in text:
        text = text[text.rindex("</think>") + len("</think>") :]
    blocks = fenced_blocks(text)
    chosen: tuple[str, str] | None = None
    for tag, body in reversed(blocks):
        found = tag_language(tag)
        if found is not None and (language is None or found == language) and body.strip():
            chosen = (found, body)
            break
    if chosen is None:
        for tag, body in reversed(blocks):
            if not tag and body.strip():
                chosen = (language or _guess(body), body)
                break
    if chosen is None and not blocks and text.strip():
        guess = language or _guess(text)
        if (guess == "python" and _parses(prefix + "\n" + text)) or (guess == "cpp" and _looks_cpp(text)):
            chosen = (guess, text)
    if chosen is None or len(chosen[1]) > MAX_PROGRAM_CHARS:
        return None
    return chosen


def _guess(body: str) -> str:
    return "cpp" if _looks_cpp(body) else "python"


def _looks_cpp(body: str) -> bool:
    return "#include" in body or bool(re.search(r"\bint\s+main\s*\(", body))


def _parses(source: str) -> bool:
    if len(source) > MAX_PROGRAM_CHARS:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True
