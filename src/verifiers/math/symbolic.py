"""The symbolic tail: what the fast parser cannot read goes to ``latex2sympy2_extended`` and sympy.

Both answers are parsed with ``latex2sympy2_extended`` and compared: structurally, element by
element (tuples, sets, intervals, equations), then by simplifying their difference to zero, or
by a numeric difference below 1e-40 (60 digits). Every expression is checked by
:func:`~verifiers.math.normalize.is_safe` before ``sympy.simplify`` sees it. This runs behind a
per-row deadline at a process boundary (see :mod:`verifiers.math.reward`): antlr and sympy can
take seconds on hostile input.
"""

from __future__ import annotations

from typing import Any

from verifiers.math.compare import Comparison
from verifiers.math.normalize import is_safe, normalize, parse_latex

__all__ = ["compare_symbolic", "parses"]

_MAX_ELEMENTS = 20


def _expr_equal(pred: Any, gold: Any, rel_tol: float) -> Comparison:
    import sympy

    if not (is_safe(pred) and is_safe(gold)):
        return Comparison(False, "unsafe")
    try:
        diff = sympy.simplify(pred - gold)
        if diff == 0:
            return Comparison(True, "sympy")
        if diff.is_number and gold.is_number and pred.is_number:
            g, p, d = (complex(sympy.N(v, 60)) for v in (gold, pred, diff))
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


def parses(answer: str) -> bool:
    """Whether ``latex2sympy2_extended`` reads ``answer`` (after normalization)."""
    return parse_latex(normalize(answer)) is not None


def compare_symbolic(pred: str, gold: str, *, rel_tol: float = 1e-40) -> Comparison:
    """Whether ``pred`` equals ``gold`` by sympy (unbounded in time: call it behind a deadline).

    Returns:
        A :class:`~verifiers.math.compare.Comparison` with method ``string`` or ``sympy`` or
        ``sympy-numeric`` when equal; ``unparsed`` (the prediction does not parse),
        ``gold-unparsed``, ``unsafe``, ``sympy-error`` or ``sympy`` when not.

    >>> compare_symbolic(r"\\sqrt{2}\\cdot\\sqrt{2}", "2").equal
    True
    """
    p, g = normalize(pred), normalize(gold)
    if p == g:
        return Comparison(True, "string")
    gold_expr = parse_latex(g)
    if gold_expr is None:
        return Comparison(False, "gold-unparsed")
    pred_expr = parse_latex(p)
    if pred_expr is None:
        return Comparison(False, "unparsed")
    return _equal(pred_expr, gold_expr, rel_tol)
