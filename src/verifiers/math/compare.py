"""Compare a predicted answer with a reference: string, then number, then sympy."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from verifiers.math.normalize import is_safe, normalize, parse_latex, parse_number

__all__ = ["Comparison", "compare_answers"]


@dataclass(frozen=True)
class Comparison:
    """How two answers compared: ``equal``, and by which method (``string``, ``number``,
    ``sympy``) or why they were not found equal."""

    equal: bool
    method: str


def _close(a: Fraction, b: Fraction, rel_tol: float) -> bool:
    if a == b:
        return True
    return abs(a - b) <= rel_tol * max(abs(a), abs(b))


def _rhs_if_assignment(expr: Any) -> Any:
    """``x = 5`` → ``5`` (a prediction that names the variable)."""
    import sympy

    if isinstance(expr, sympy.Equality) and isinstance(expr.lhs, sympy.Symbol):
        return expr.rhs
    return expr


def _sympy_equal(pred: Any, gold: Any, rel_tol: float) -> Comparison:
    import sympy

    if pred is None or gold is None:
        return Comparison(False, "unparsed")
    if not isinstance(gold, sympy.Equality):
        pred = _rhs_if_assignment(pred)
    if pred == gold:  # structural: sets, intervals, identical trees
        return Comparison(True, "sympy")
    if not (isinstance(pred, sympy.Expr) and isinstance(gold, sympy.Expr)):
        return Comparison(False, "sympy")
    if not (is_safe(pred) and is_safe(gold)):
        return Comparison(False, "unsafe")
    try:
        diff = sympy.simplify(pred - gold)
        if diff == 0:
            return Comparison(True, "sympy")
        if diff.is_number and gold.is_number:
            scale = max(abs(complex(sympy.N(gold))), abs(complex(sympy.N(pred))))
            if abs(complex(sympy.N(diff))) <= rel_tol * scale:
                return Comparison(True, "sympy-numeric")
    except Exception:  # sympy raises many types on odd input; that is "not shown equal"
        return Comparison(False, "sympy-error")
    return Comparison(False, "sympy")


def compare_answers(pred: str, gold: str, *, rel_tol: float = 1e-6, symbolic: bool = True) -> Comparison:
    """Whether the predicted answer equals the reference.

    Args:
        pred: The model's extracted answer (LaTeX or plain text).
        gold: The reference answer.
        rel_tol: Relative tolerance for numbers that are not exactly equal.
        symbolic: Whether to try sympy equivalence after string and number comparison.

    >>> compare_answers(r"\\dfrac{1}{2}", "0.5")
    Comparison(equal=True, method='number')
    >>> compare_answers(r"2\\sqrt{2}", r"\\sqrt{8}").equal, compare_answers("3", "4").equal
    (True, False)
    """
    p, g = normalize(pred), normalize(gold)
    if p == g:
        return Comparison(True, "string")
    pn, gn = parse_number(p), parse_number(g)
    if pn is not None and gn is not None:
        return Comparison(_close(pn, gn, rel_tol), "number")
    if not symbolic:
        return Comparison(False, "string")
    return _sympy_equal(parse_latex(p), parse_latex(g), rel_tol)
