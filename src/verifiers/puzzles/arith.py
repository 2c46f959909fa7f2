"""A small, bounded parser for Countdown equations: integers, ``+ - * /`` and parentheses,
evaluated with exact rationals (:class:`fractions.Fraction`). Never ``eval``.

Grammar (left-associative, ``*`` and ``/`` bind tighter than ``+`` and ``-``)::

    expr   := term (("+" | "-") term)*
    term   := factor (("*" | "/") factor)*
    factor := INTEGER | "-" INTEGER | "(" expr ")"

A minus sign directly before an integer makes a negative literal (``-3``), which must itself
be one of the given numbers; a minus before a parenthesis, a unary plus, ``**``, ``//``,
``%``, ``^``, decimals, letters and every other character are refused. Spelled-out operators
that models write are read as their ASCII forms: ``×``, ``·``, ``∗``, ``\\times``, ``\\cdot``
as ``*``; ``÷``, ``\\div`` as ``/``; ``−`` (U+2212) and ``–`` (en dash) as ``-``.

**Bounded work.** The caller caps the text's length; the parenthesis depth is checked before
parsing (so the recursion is at most ``max_depth`` frames deep, in any thread), an integer
literal has at most :data:`MAX_DIGITS` digits, and there is no operator that grows a value
faster than a product. An expression of ``n`` characters therefore costs ``O(n)`` steps on
integers of ``O(n)`` digits. Division by zero does not raise: it is recorded and reported
after parsing, so the order of the checks (form, then numbers used, then value) is the
caller's choice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["MAX_DIGITS", "ParseError", "Parsed", "parse_expression"]

#: The longest integer literal read (a longer one is refused before conversion).
MAX_DIGITS = 30

_ALIASES = (
    ("\\times", "*"), ("\\cdot", "*"), ("\\div", "/"), ("\\left", ""), ("\\right", ""),
    ("×", "*"), ("·", "*"), ("∗", "*"), ("÷", "/"), ("−", "-"), ("–", "-"),
)
# One token per match: an ASCII integer, a forbidden two-character operator, one character.
_TOKEN = re.compile(r"[0-9]+|\*\*|//|\s+|.", re.S)
_OPS = frozenset("+-*/()")
_FORBIDDEN = {
    "**": "powers (**) are not allowed",
    "//": "floor division (//) is not allowed",
    "%": "the remainder operator (%) is not allowed",
    "^": "powers (^) are not allowed",
    ".": "decimal numbers are not allowed (only the given integers)",
    ",": "commas are not allowed in an equation",
    "=": "more than one '=' in the answer",
}


class ParseError(ValueError):
    """The text is not an equation of the allowed form (the model's fault)."""


@dataclass(frozen=True)
class Parsed:
    """A parsed expression.

    Attributes:
        value: Its exact value (meaningless when ``zero_division``).
        literals: The integer literals, in order of appearance (``-3`` is ``-3``).
        zero_division: Some division had a zero divisor.
    """

    value: Fraction
    literals: tuple[int, ...]
    zero_division: bool


def _tokens(text: str) -> list[str]:
    for alias, plain in _ALIASES:
        if alias in text:
            text = text.replace(alias, plain)
    tokens = []
    for token in _TOKEN.findall(text):
        if token[0] in "0123456789":
            if len(token) > MAX_DIGITS:
                raise ParseError(f"a number of {len(token)} digits is not a given number")
            tokens.append(token)
        elif token in _OPS:
            tokens.append(token)
        elif token.isspace():
            continue
        elif token in _FORBIDDEN:
            raise ParseError(_FORBIDDEN[token])
        elif token.isalpha() or token == "_":
            raise ParseError("letters and names are not allowed in an equation")
        else:
            raise ParseError(f"character {token!r} is not allowed in an equation")
    return tokens


class _Parser:
    """Recursive descent over the token list (ended by an empty sentinel token). Values are
    ints until a division makes a :class:`~fractions.Fraction` (int arithmetic is cheaper)."""

    __slots__ = ("literals", "pos", "tokens", "zero_division")

    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.pos = [*tokens, ""], 0
        self.literals: list[int] = []
        self.zero_division = False

    def expr(self) -> int | Fraction:
        value = self.term()
        tokens = self.tokens
        while (op := tokens[self.pos]) in ("+", "-"):
            self.pos += 1
            right = self.term()
            value = value + right if op == "+" else value - right
        return value

    def term(self) -> int | Fraction:
        value = self.factor()
        tokens = self.tokens
        while (op := tokens[self.pos]) in ("*", "/"):
            self.pos += 1
            right = self.factor()
            if op == "*":
                value = value * right
            elif right == 0:
                self.zero_division = True
                value = 0
            elif type(value) is int and type(right) is int:
                value = Fraction(value, right) if value % right else value // right
            else:
                value = Fraction(value) / right
        return value

    def factor(self) -> int | Fraction:
        token = self.tokens[self.pos]
        if not token:
            raise ParseError("the equation ends where a number was expected")
        self.pos += 1
        if token == "(":
            value = self.expr()
            if self.tokens[self.pos] != ")":
                raise ParseError("unbalanced parentheses")
            self.pos += 1
            return value
        sign = 1
        if token == "-":
            token = self.tokens[self.pos]
            if not token.isdigit():
                raise ParseError("a minus sign is only allowed between numbers, or before a given negative number")
            self.pos += 1
            sign = -1
        if not token.isdigit():
            raise ParseError(f"expected a number, found {token!r}")
        number = sign * int(token)
        self.literals.append(number)
        return number


def parse_expression(text: str, *, max_depth: int = 16) -> Parsed:
    """Parse and evaluate one arithmetic expression exactly.

    Args:
        text: The expression (no ``=``; the caller splits an equation).
        max_depth: The deepest nesting of parentheses accepted.

    Returns:
        The exact value, the integer literals used, and whether a division by zero happened.

    Raises:
        ParseError: the text is not an expression of the allowed form.

    >>> p = parse_expression("(100 - 4) / (3 × 2)")
    >>> p.value, p.literals, p.zero_division
    (Fraction(16, 1), (100, 4, 3, 2), False)
    >>> parse_expression("9**9**9")
    Traceback (most recent call last):
    ...
    verifiers.puzzles.arith.ParseError: powers (**) are not allowed
    """
    tokens = _tokens(text)
    if not tokens:
        raise ParseError("the equation is empty")
    depth = 0
    for token in tokens:
        if token == "(":
            depth += 1
            if depth > max_depth:
                raise ParseError(f"parentheses nested deeper than {max_depth}")
        elif token == ")":
            depth -= 1
            if depth < 0:
                raise ParseError("unbalanced parentheses")
    if depth:
        raise ParseError("unbalanced parentheses")
    parser = _Parser(tokens)
    value = parser.expr()
    if parser.pos != len(tokens):
        raise ParseError(f"unexpected {tokens[parser.pos]!r} after a complete expression")
    return Parsed(Fraction(value), tuple(parser.literals), parser.zero_division)
