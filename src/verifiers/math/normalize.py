"""Normalize answer strings and parse them into numbers or sympy expressions, with bounds.

Everything that can be expensive is bounded before it runs: strings longer than
``MAX_PARSE_CHARS`` are not parsed, and a parsed expression is rejected by :func:`is_safe`
when evaluating or simplifying it could explode (``2^{10^{10}}``, ``((10^{999})^{999})^{999}``,
``1000000!``, ``(x+1)^{1000}``, huge literals, huge trees).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import lru_cache
from typing import Any

__all__ = ["MAX_PARSE_CHARS", "is_safe", "normalize", "parse_latex", "parse_number"]

#: Answers longer than this (after normalization) are compared as strings only.
MAX_PARSE_CHARS = 300
_MAX_NODES = 200
#: Deepest bracket nesting handed to the parser (antlr's recursive descent is slow on deep input).
_MAX_DEPTH = 8
#: Upper bound on the size (in bits) of any number that simplifying an expression could build.
_MAX_BITS = 20_000
#: Largest integer power of an expression with free symbols (``(x+1)^{64}`` expands fast enough).
_MAX_SYMBOLIC_EXPONENT = 64
_MAX_NUMBER_CHARS = 100

_REMOVE = re.compile(
    r"\\left(?![A-Za-z])|\\right(?![A-Za-z])|\\displaystyle|\\[!,;: ]|\\\$|\$|\\(?:mkern|mspace)\{[^{}]*\}"
)
_FRAC_ALIASES = re.compile(r"\\[dt]frac(?![A-Za-z])")
_DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|°|\\degree(?![A-Za-z])")
_PERCENT = re.compile(r"\\?%$")
_BRACED_COMMA = re.compile(r"\{,\}")
# TeX takes one token as an argument: \frac12 = \frac{1}{2}, \sqrt3 = \sqrt{3}, \sqrt 12 = \sqrt{1}2
_FRAC_TOKENS = re.compile(r"\\frac(\d|\{[^{}]*\})(\d|\{[^{}]*\})")
_SQRT_TOKEN = re.compile(r"\\sqrt(\d)")
# a trailing unit after a number: 5\text{cm}, 12\mbox{dollars}, 3\,\mathrm{m}^2
_UNIT = re.compile(r"(?<=[\d}])\\(?:text|mbox|mathrm)\{[A-Za-z]+\.?\}(?:\^\{?\d\}?)?$")
_TEXT_WRAPPER = re.compile(r"^\\(?:text|textbf|mathrm|mathbf|mbox)\{([^{}]*)\}$")
_SPACES = re.compile(r"\s+")


def _braced(token: str) -> str:
    return token if token.startswith("{") else "{" + token + "}"


def normalize(answer: str) -> str:
    """A canonical string form of an answer, for exact comparison.

    Removes math delimiters (``$``, ``\\$``), sizing commands and thin spaces; ``\\dfrac`` and
    ``\\tfrac`` become ``\\frac``; ``\\frac12`` and ``\\sqrt3`` get their braces; degree signs,
    a percent sign, a trailing unit after a number (``5\\text{ cm}``), ``{,}`` separators and a
    trailing period go; white space is dropped; a lone ``\\text{...}`` is unwrapped.

    Args:
        answer: An answer as written by the model or the dataset.

    Returns:
        The normalized string.

    >>> normalize(r" $\\dfrac{1}{2}$. ")
    '\\\\frac{1}{2}'
    >>> normalize(r"\\left( 1, 2 \\right)"), normalize(r"90^\\circ"), normalize(r"\\text{Monday}")
    ('(1,2)', '90', 'Monday')
    >>> normalize(r"\\$1{,}000"), normalize(r"5 \\text{ cm}"), normalize(r"\\frac12"), normalize(r"10\\%")
    ('1,000', '5', '\\\\frac{1}{2}', '10')
    """
    s = _REMOVE.sub("", answer)
    s = _FRAC_ALIASES.sub(r"\\frac", s)
    s = _DEGREES.sub("", s)
    s = _SPACES.sub("", s).rstrip(".")
    s = _PERCENT.sub("", s)
    s = _BRACED_COMMA.sub(",", s)
    s = _FRAC_TOKENS.sub(lambda m: "\\frac" + _braced(m.group(1)) + _braced(m.group(2)), s)
    s = _SQRT_TOKEN.sub(r"\\sqrt{\1}", s)
    s = _UNIT.sub("", s)
    m = _TEXT_WRAPPER.match(s)
    if m:
        s = m.group(1)
    return s


_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?$")
_SIMPLE_FRAC = re.compile(r"^([+-]?)\\frac\{([+-]?\d+)\}\{([+-]?\d+)\}$|^([+-]?\d+)/([+-]?\d+)$")


def parse_number(s: str) -> Fraction | None:
    """An exact rational for a plain number, decimal, ``a/b`` or ``\\frac{a}{b}``; else ``None``.

    Thousands separators are accepted only in their strict form (``1,000``, not ``1,00``).
    Strings longer than 100 characters are not read.

    Args:
        s: A normalized answer (see :func:`normalize`).

    Returns:
        The exact value, or ``None`` when ``s`` is not one of these simple forms.

    >>> parse_number("-1,000.5"), parse_number(r"\\frac{3}{4}"), parse_number("6/8")
    (Fraction(-2001, 2), Fraction(3, 4), Fraction(3, 4))
    >>> parse_number("1,2") is None, parse_number("x") is None, parse_number("1/0") is None
    (True, True, True)
    """
    if len(s) > _MAX_NUMBER_CHARS:
        return None
    m = _NUMBER.match(s)
    if m and (m.group(2) or m.group(3)):
        whole = (m.group(2) or "0").replace(",", "")
        value = Fraction(int(whole)) + (Fraction(int(m.group(3)), 10 ** len(m.group(3))) if m.group(3) else 0)
        return -value if m.group(1) == "-" else value
    m = _SIMPLE_FRAC.match(s)
    if m:
        sign, num, den = (m.group(1), m.group(2), m.group(3)) if m.group(2) else ("", m.group(4), m.group(5))
        if int(den) == 0:
            return None
        value = Fraction(int(num), int(den))
        return -value if sign == "-" else value
    return None


def _bits(expr: Any) -> float:
    """An upper bound on the bit size of the numbers that evaluating ``expr`` can build.

    Free symbols count as small; ``inf`` means "too big to even bound".
    """
    import sympy

    if isinstance(expr, sympy.Integer):
        return max(int(expr).bit_length(), 1)
    if isinstance(expr, sympy.Rational):
        return max(int(expr.p).bit_length(), int(expr.q).bit_length(), 1)
    if isinstance(expr, sympy.Float):
        return 64.0 + abs(math.log2(abs(float(expr)))) if expr != 0 and math.isfinite(float(expr)) else 64.0
    if not expr.args:  # symbols, pi, E, I, oo
        return 2.0
    if isinstance(expr, sympy.Pow):
        base, exp = _bits(expr.base), _bits(expr.exp)
        if not expr.exp.is_number:
            return base + exp  # x^n stays symbolic: nothing to evaluate
        if exp > 64:
            return math.inf
        if expr.exp.is_Rational:
            power = abs(float(expr.exp))
            if not expr.base.is_number and power > _MAX_SYMBOLIC_EXPONENT:
                return math.inf  # (x+1)^{1000}: expanding it is a bomb of its own
        else:
            power = 2.0**exp
        return base * max(power, 1.0)
    if isinstance(expr, (sympy.factorial, sympy.factorial2, sympy.gamma, sympy.subfactorial)):
        arg = _bits(expr.args[0])
        if arg > 64:
            return math.inf
        size = 2.0**arg
        return size * max(math.log2(size), 1.0)
    if isinstance(expr, sympy.exp):
        arg = _bits(expr.args[0])
        return math.inf if arg > 64 else 2.0**arg * 1.45
    children = [_bits(a) for a in expr.args if isinstance(a, sympy.Basic)]
    if isinstance(expr, sympy.Mul):
        return sum(children)
    return max(children, default=2.0) + len(children)


def is_safe(expr: Any) -> bool:
    """Whether simplifying ``expr`` is bounded: few nodes, and no number (power, factorial,
    literal) larger than about 20,000 bits can appear while evaluating it.

    Args:
        expr: A sympy object (an expression, a set, a tuple, ...).

    Returns:
        ``True`` when it is safe to hand ``expr`` to ``sympy.simplify``.

    >>> from sympy import Integer, Pow, Symbol
    >>> tower = Pow(Integer(2), Pow(Integer(10), Integer(10), evaluate=False), evaluate=False)
    >>> is_safe(Pow(Symbol("x"), 2)), is_safe(tower), is_safe(Pow(Symbol("x") + 1, 1000))
    (True, False, False)
    """
    import sympy

    if not isinstance(expr, sympy.Basic):
        return False
    for count, _ in enumerate(sympy.preorder_traversal(expr)):
        if count >= _MAX_NODES:
            return False
    try:
        return _bits(expr) <= _MAX_BITS
    except (TypeError, ValueError, OverflowError, RecursionError):
        return False


def _depth(s: str) -> int:
    depth = deepest = 0
    for ch in s:
        if ch in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "})]":
            depth -= 1
    return deepest


@lru_cache(maxsize=4096)
def parse_latex(s: str) -> Any:
    """A sympy object for a LaTeX answer, or ``None`` when it cannot be parsed (or is longer
    than ``MAX_PARSE_CHARS``, or nests brackets deeper than 8 levels).

    Uses ``latex2sympy2_extended`` (see ``docs/dependencies.md``), which keeps expressions
    unevaluated, so parsing ``2^{10^{10}}`` is cheap. Results are cached.

    Args:
        s: A normalized answer (see :func:`normalize`).

    Returns:
        A sympy object, or ``None``.

    >>> parse_latex(r"\\frac{1}{2}+x")
    x + 1/2
    >>> parse_latex(r"\\frac{") is None
    True
    """
    if not s or len(s) > MAX_PARSE_CHARS or _depth(s) > _MAX_DEPTH:
        return None
    from latex2sympy2_extended import latex2sympy

    try:
        return latex2sympy(s)
    except Exception:  # the parser raises bare Exception, antlr errors, sympy errors, RecursionError...
        return None
