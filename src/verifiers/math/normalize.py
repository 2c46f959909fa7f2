"""Normalize answer strings and parse them into numbers or sympy expressions, with bounds.

Everything that can be expensive is bounded before it runs: strings longer than
``MAX_PARSE_CHARS`` are not parsed, and a parsed expression is rejected by :func:`is_safe`
when evaluating it could explode (``2^{10^{10}}``, ``1000000!``, huge literals).
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from typing import Any

__all__ = ["MAX_PARSE_CHARS", "is_safe", "normalize", "parse_latex", "parse_number"]

#: Answers longer than this are compared as strings only.
MAX_PARSE_CHARS = 300
_MAX_NODES = 200
_MAX_EXPONENT = 1000
_MAX_FACTORIAL = 200
_MAX_INT_DIGITS = 100

_REMOVE = re.compile(r"\\left|\\right|\\displaystyle|\\!|\\,|\\;|\\:|\\ |\$")
_FRAC_ALIASES = re.compile(r"\\[dt]frac")
_DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?")
_TEXT_WRAPPER = re.compile(r"^\\(?:text|textbf|mathrm|mathbf)\{([^{}]*)\}$")
_SPACES = re.compile(r"\s+")


def normalize(answer: str) -> str:
    """A canonical string form of an answer, for exact comparison.

    Removes math delimiters, sizing commands and thin spaces, ``\\dfrac``/``\\tfrac`` become
    ``\\frac``, degree signs and a trailing period go, white space is dropped.

    >>> normalize(r" $\\dfrac{1}{2}$. ")
    '\\\\frac{1}{2}'
    >>> normalize(r"\\left( 1, 2 \\right)"), normalize(r"90^\\circ"), normalize(r"\\text{Monday}")
    ('(1,2)', '90', 'Monday')
    """
    s = _REMOVE.sub("", answer)
    s = _FRAC_ALIASES.sub(r"\\frac", s)
    s = _DEGREES.sub("", s)
    s = _SPACES.sub("", s).rstrip(".")
    m = _TEXT_WRAPPER.match(s)
    if m:
        s = m.group(1)
    return s


_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?$")
_SIMPLE_FRAC = re.compile(r"^([+-]?)\\frac\{([+-]?\d+)\}\{([+-]?\d+)\}$|^([+-]?\d+)/([+-]?\d+)$")


def parse_number(s: str) -> Fraction | None:
    """An exact rational for a plain number, decimal, ``a/b`` or ``\\frac{a}{b}``; else ``None``.

    Thousands separators are accepted only in their strict form (``1,000``, not ``1,00``).

    >>> parse_number("-1,000.5"), parse_number(r"\\frac{3}{4}"), parse_number("6/8")
    (Fraction(-2001, 2), Fraction(3, 4), Fraction(3, 4))
    >>> parse_number("1,2") is None, parse_number("x") is None, parse_number("1/0") is None
    (True, True, True)
    """
    if len(s) > _MAX_INT_DIGITS:
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


def is_safe(expr: Any) -> bool:
    """Whether simplifying ``expr`` is bounded: few nodes, small exponents, factorials and literals.

    >>> from sympy import Integer, Pow, Symbol, factorial
    >>> is_safe(Pow(Symbol("x"), 2)), is_safe(Pow(Integer(2), Pow(Integer(10), Integer(10), evaluate=False),
    ...                                               evaluate=False))
    (True, False)
    """
    import sympy

    count = 0
    for node in sympy.preorder_traversal(expr):
        count += 1
        if count > _MAX_NODES:
            return False
        if isinstance(node, sympy.Integer) and abs(int(node)).bit_length() > _MAX_INT_DIGITS * 3.33:
            return False
        if isinstance(node, sympy.Pow) and node.exp.is_number:
            # a numeric exponent: a power tower or a huge exponent explodes when evaluated
            if node.exp.has(sympy.Pow) or abs(sympy.N(node.exp, 5)) > _MAX_EXPONENT:
                return False
        if isinstance(node, (sympy.factorial, sympy.factorial2, sympy.gamma)):
            arg = node.args[0]
            if not arg.is_number or abs(sympy.N(arg, 5)) > _MAX_FACTORIAL:
                return False
    return True


@lru_cache(maxsize=4096)
def parse_latex(s: str) -> Any:
    """A sympy object for a LaTeX answer, or ``None`` when it cannot be parsed (or is too long).

    Uses ``latex2sympy2_extended`` (see ``docs/dependencies.md``). Results are cached.

    >>> parse_latex(r"\\frac{1}{2}+x")
    x + 1/2
    >>> parse_latex(r"\\frac{") is None
    True
    """
    if not s or len(s) > MAX_PARSE_CHARS:
        return None
    from latex2sympy2_extended import latex2sympy

    try:
        return latex2sympy(s)
    except Exception:  # the parser raises bare Exception, antlr errors, sympy errors...
        return None
