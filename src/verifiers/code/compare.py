"""Comparing a program's stdout with the expected output.

* ``"whitespace"`` (default): equal as sequences of whitespace-separated tokens, the way
  CodeContests and most judges compare (trailing spaces, blank lines and line breaks between
  tokens do not matter; every token does, and so does their number).
* ``"exact"``: equal as text, except that ``\\r\\n`` counts as ``\\n`` and one missing final
  newline is forgiven.
* ``"float"``: tokens equal, or both numbers within ``tol`` (absolute, or relative to the
  expected value).

Never prefix matching: a program that prints the answer and then more is wrong.
"""

from __future__ import annotations

import math
from typing import Literal

__all__ = ["Compare", "outputs_match"]

Compare = Literal["whitespace", "exact", "float"]


def outputs_match(got: str, expected: str, how: Compare = "whitespace", tol: float = 1e-6) -> bool:
    """Whether ``got`` matches ``expected`` under policy ``how``.

    >>> outputs_match("1 2\\n3  \\n\\n", "1 2 3"), outputs_match("1 2 3 4", "1 2 3")
    (True, False)
    >>> outputs_match("0.3333333", "0.333333333", "float"), outputs_match("0.3334", "0.3333", "float")
    (True, False)
    """
    if how == "exact":
        a, b = got.replace("\r\n", "\n"), expected.replace("\r\n", "\n")
        return a == b or a.removesuffix("\n") == b.removesuffix("\n")
    a_tokens, b_tokens = got.split(), expected.split()
    if len(a_tokens) != len(b_tokens):
        return False
    if how == "whitespace":
        return a_tokens == b_tokens
    return all(x == y or _close(x, y, tol) for x, y in zip(a_tokens, b_tokens))


def _close(a: str, b: str, tol: float) -> bool:
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    return abs(x - y) <= tol * max(1.0, abs(y))
