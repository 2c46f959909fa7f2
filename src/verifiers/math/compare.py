"""Compare a predicted answer with a reference in three stages: string, number, sympy.

1. **string**: the normalized strings are identical (:func:`~verifiers.math.normalize.normalize`);
2. **number**: both are plain numbers, decimals or simple fractions, equal within ``rel_tol``
   (exact rationals, so ``0.1 + 0.2`` style float error cannot creep in);
3. **sympy**: both parse (``latex2sympy2_extended``) and are structurally equal, or equal
   element by element (tuples, sets, intervals, equations), or their difference simplifies to
   zero, or is a finite number within ``rel_tol``. Every expression is checked by
   :func:`~verifiers.math.normalize.is_safe` before ``sympy.simplify`` sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from verifiers.math.normalize import is_safe, normalize, parse_latex, parse_number

__all__ = ["Comparison", "compare_answers"]

_PERCENT = re.compile(r"\\?%\s*\.?\s*\$?\s*$")
_MAX_ELEMENTS = 20


@dataclass(frozen=True)
class Comparison:
    """How two answers compared.

    Args:
        equal: Whether the answers were shown equal.
        method: ``string``, ``number``, ``sympy`` or ``sympy-numeric`` when equal; otherwise
            why not: ``number``, ``sympy``, ``unsafe``, ``sympy-error``, ``unparsed`` (the
            prediction does not parse) or ``gold-unparsed`` (the reference does not parse).

    >>> Comparison(True, "string").equal
    True
    """

    equal: bool
    method: str


def _close(a: Fraction, b: Fraction, rel_tol: float) -> bool:
    if a == b:
        return True
    return abs(a - b) <= rel_tol * max(abs(a), abs(b))


def _expr_equal(pred: Any, gold: Any, rel_tol: float) -> Comparison:
    import sympy

    if not (is_safe(pred) and is_safe(gold)):
        return Comparison(False, "unsafe")
    try:
        diff = sympy.simplify(pred - gold)
        if diff == 0:
            return Comparison(True, "sympy")
        if diff.is_number and gold.is_number and pred.is_number:
            g, p, d = (complex(sympy.N(v)) for v in (gold, pred, diff))
            if all(map(_finite, (g, p, d))) and abs(d) <= rel_tol * max(abs(g), abs(p)):
                return Comparison(True, "sympy-numeric")
    except Exception:  # sympy raises many types on odd input; that is "not shown equal"
        return Comparison(False, "sympy-error")
    return Comparison(False, "sympy")


def _finite(z: complex) -> bool:
    return abs(z.real) < float("inf") and abs(z.imag) < float("inf") and z == z


def _equal(pred: Any, gold: Any, rel_tol: float) -> Comparison:
    """Structural equality, then element-wise for containers, then :func:`_expr_equal`."""
    import sympy

    if pred == gold:  # identical trees, equal sets and intervals
        return Comparison(True, "sympy")
    if isinstance(gold, sympy.Equality) and isinstance(pred, sympy.Equality):
        lhs = _equal(pred.lhs, gold.lhs, rel_tol)
        return _equal(pred.rhs, gold.rhs, rel_tol) if lhs.equal else lhs
    if isinstance(pred, sympy.Equality) and isinstance(pred.lhs, sympy.Symbol):
        return _equal(pred.rhs, gold, rel_tol)  # "x = 5" for 5
    if isinstance(gold, sympy.Equality) and isinstance(gold.lhs, sympy.Symbol):
        return _equal(pred, gold.rhs, rel_tol)  # "5" for "x = 5"
    if isinstance(pred, sympy.Tuple) and isinstance(gold, sympy.Tuple):
        return _all_equal(pred.args, gold.args, rel_tol)
    if isinstance(pred, sympy.Interval) and isinstance(gold, sympy.Interval):
        if (pred.left_open, pred.right_open) != (gold.left_open, gold.right_open):
            return Comparison(False, "sympy")
        return _all_equal((pred.start, pred.end), (gold.start, gold.end), rel_tol)
    if isinstance(pred, sympy.FiniteSet) and isinstance(gold, sympy.FiniteSet):
        return _sets_equal(list(pred.args), list(gold.args), rel_tol)
    if isinstance(pred, sympy.Expr) and isinstance(gold, sympy.Expr):
        return _expr_equal(pred, gold, rel_tol)
    return Comparison(False, "sympy")


def _all_equal(preds: Any, golds: Any, rel_tol: float) -> Comparison:
    if len(preds) != len(golds) or len(golds) > _MAX_ELEMENTS:
        return Comparison(False, "sympy")
    for p, g in zip(preds, golds):
        result = _equal(p, g, rel_tol)
        if not result.equal:
            return result
    return Comparison(True, "sympy")


def _sets_equal(preds: list[Any], golds: list[Any], rel_tol: float) -> Comparison:
    if len(preds) != len(golds) or len(golds) > _MAX_ELEMENTS:
        return Comparison(False, "sympy")
    left = list(preds)
    for g in golds:
        match = next((i for i, p in enumerate(left) if _equal(p, g, rel_tol).equal), None)
        if match is None:
            return Comparison(False, "sympy")
        del left[match]
    return Comparison(True, "sympy")


def compare_answers(pred: str, gold: str, *, rel_tol: float = 1e-6, symbolic: bool = True) -> Comparison:
    """Whether the predicted answer equals the reference (string, then number, then sympy).

    A percent sign is dropped on both sides (``10\\%`` equals ``10``); a prediction with a
    percent sign also equals its value over 100 (``10\\%`` equals ``0.1``).

    Args:
        pred: The model's extracted answer (LaTeX or plain text).
        gold: The reference answer.
        rel_tol: Relative tolerance for numbers that are not exactly equal.
        symbolic: Whether to try sympy equivalence after string and number comparison.

    Returns:
        A :class:`Comparison`.

    >>> compare_answers(r"\\dfrac{1}{2}", "0.5")
    Comparison(equal=True, method='number')
    >>> compare_answers(r"2\\sqrt{2}", r"\\sqrt{8}").equal, compare_answers("3", "4").equal
    (True, False)
    >>> compare_answers(r"\\{2, 1\\}", r"\\{1,2\\}").equal, compare_answers(r"-\\infty", r"\\infty").equal
    (True, False)
    """
    p, g = normalize(pred), normalize(gold)
    if p == g:
        return Comparison(True, "string")
    pn, gn = parse_number(p), parse_number(g)
    if pn is not None and gn is not None:
        if _close(pn, gn, rel_tol):
            return Comparison(True, "number")
        if _PERCENT.search(pred) and not _PERCENT.search(gold) and _close(pn / 100, gn, rel_tol):
            return Comparison(True, "number")
        return Comparison(False, "number")
    if not symbolic:
        return Comparison(False, "string")
    gold_expr = parse_latex(g) if gn is None else parse_latex(str(gn))
    if gold_expr is None:
        return Comparison(False, "gold-unparsed")
    pred_expr = parse_latex(p) if pn is None else parse_latex(str(pn))
    if pred_expr is None:
        return Comparison(False, "unparsed")
    return _equal(pred_expr, gold_expr, rel_tol)
