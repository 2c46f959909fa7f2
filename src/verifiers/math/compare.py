"""Compare a parsed prediction with a parsed reference, from cheap to expensive.

:func:`equal` returns ``True``, ``False`` or ``None`` ("cannot tell here": the caller hands the
pair to the bounded symbolic tail, :mod:`verifiers.math.symbolic`). The rules, in order:

* **Exact values stay exact.** Two constant expressions are compared as Python ``Fraction``\\ s
  when both are rational (``10^{18}+1`` never equals ``10^{18}``); otherwise numerically at 60
  digits, equal when they agree to 40 significant digits (``2\\sqrt{2}`` and ``\\sqrt{8}``).
* **Approximations** (a decimal written with *k* decimals, at the top of one side only) equal a
  value that has no finite decimal expansion when rounding it to *k* decimals gives the
  decimal: ``0.33`` for ``1/3``, ``3.14`` for ``\\pi``. A value with a finite expansion must
  be written in full (``0.3`` is not ``0.35``); two decimals compare exactly.
* **Expressions with variables** are evaluated at the same rational points (exactly when
  rational, else numerically): equal at three points means equal (probabilistic identity
  testing); unequal at one point means not equal.
* **Structure**: an equation ``x = 3`` answers ``3`` (and the reverse); equations equal when
  ``lhs - rhs`` are proportional; inequalities and intervals compare as sets of intervals
  (``x > 2`` is ``(2, \\infty)``); sets, bare lists and ``\\pm`` compare without order, tuples
  and intervals with order and brackets; matrices by shape and entries; text as normalized
  words; a percent equals its number or its number over 100.

>>> from verifiers.math.parse import parse
>>> equal(parse("1000001"), parse("1000000")), equal(parse(r"\\frac{1}{3}"), parse("0.333"))
(False, True)
>>> equal(parse("x = 3"), parse("3")), equal(parse("(x+1)^2"), parse("x^2+2x+1"))
(True, True)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from verifiers.math.evaluate import NotExact, TooBig, Undefined, exact, numeric
from verifiers.math.parse import Node, Unparsed, parse

__all__ = ["Comparison", "compare_answers", "constant_problem", "equal", "free_vars"]


@dataclass(frozen=True)
class Comparison:
    """How two answers compared.

    Args:
        equal: Whether the answers were shown equal.
        method: How: ``fast`` (our parser and exact arithmetic), or the symbolic tail's
            ``string``, ``sympy``, ``sympy-numeric``; when not equal, also ``undecided`` (the
            fast path could not tell and the tail was off), ``unparsed``, ``gold-unparsed``,
            ``unsafe``, ``sympy-error``.

    >>> Comparison(True, "fast").equal
    True
    """

    equal: bool
    method: str


def compare_answers(pred: str, gold: str, *, symbolic: bool = True) -> Comparison:
    """Whether the answer ``pred`` equals the reference ``gold``: the fast path, then (when
    it cannot tell and ``symbolic`` is on) the sympy tail, in this thread and without a
    deadline. :class:`~verifiers.math.MathAccuracy` runs the tail behind a deadline instead.

    >>> compare_answers(r"\\dfrac{1}{2}", "0.5")
    Comparison(equal=True, method='fast')
    >>> compare_answers("1000001", "1000000").equal, compare_answers(r"\\{2, 1\\}", r"\\{1,2\\}").equal
    (False, True)
    """
    try:
        result = equal(parse(pred), parse(gold))
    except Unparsed:
        result = None
    if result is not None:
        return Comparison(result, "fast")
    if not symbolic:
        return Comparison(False, "undecided")
    from verifiers.math.symbolic import compare_symbolic

    return compare_symbolic(pred, gold)

#: Relative agreement that counts as equal for numerically evaluated (irrational) values.
REL_TOL = Fraction(1, 10**40)
_MAX_ITEMS = 40
#: Relative difference of a printed float from the value it stands for.
_FLOAT_NOISE = Fraction(1, 10**12)
_SCALARS = {"num", "var", "const", "add", "mul", "neg", "div", "pow", "fn", "pct"}
_NAMED_CONSTANTS = {"e", "i"}  # a lone e or i is Euler's number or the imaginary unit


def free_vars(node: Node) -> frozenset[str]:
    """The variable names in ``node`` (``e`` and ``i`` are constants)."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if not isinstance(n, tuple) or not n:
            continue
        if n[0] == "var":
            if n[1] not in _NAMED_CONSTANTS:
                out.add(n[1])
            continue
        if n[0] in ("num", "const", "text"):
            continue
        for part in n[1:]:
            if isinstance(part, tuple):
                if part and isinstance(part[0], str):
                    stack.append(part)
                else:
                    stack.extend(x for x in part if isinstance(x, tuple))
    return frozenset(out)


def constant_problem(node: Node) -> str | None:
    """Why a reference cannot be an answer (``\\frac{1}{0}``, ``0^{-1}``), else ``None``."""
    if node[0] in _SCALARS and not free_vars(node):
        try:
            exact(node, {})
        except Undefined as exc:
            return str(exc)
        except NotExact:
            try:
                numeric(node, {})
            except Undefined as exc:
                return str(exc)
            except NotExact:
                return None
    return None


# ---------------------------------------------------------------------------------------------
# Scalars


def _digits(node: Node) -> int | None:
    """Decimals written, when ``node`` is a (signed) decimal literal: an approximation."""
    while node[0] == "neg":
        node = node[1]
    return node[2] if node[0] == "num" else None


def _terminates(q: Fraction) -> bool:
    d = q.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def _value(node: Node, env: dict[str, Fraction]) -> Any:
    try:
        return exact(node, env)
    except TooBig:
        raise
    except NotExact:
        return numeric(node, env)


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    from verifiers.math.evaluate import _mp

    mp = _mp()
    a, b = (mp.mpc(mp.mpf(x.numerator) / x.denominator) if isinstance(x, Fraction) else x for x in (a, b))
    scale = max(mp.mpf(1), abs(a), abs(b))
    return bool(abs(a - b) <= scale * mp.mpf(REL_TOL.numerator) / REL_TOL.denominator)


def _approx_equal(approx: Any, digits: int, value: Any) -> bool:
    """``approx`` (a decimal with ``digits`` decimals) is ``value`` rounded to that many
    decimals, or agrees with it to 12 significant digits (a float's printed noise:
    ``0.7071067811865476`` for ``\\frac{\\sqrt{2}}{2}``)."""
    if isinstance(value, Fraction):
        if _terminates(value):
            return False  # a finite decimal must be written in full
        if not isinstance(approx, Fraction):
            return False
        return abs(value - approx) < max(Fraction(1, 2 * 10**digits), abs(value) * _FLOAT_NOISE)
    from verifiers.math.evaluate import _mp

    mp = _mp()
    a = mp.mpc(mp.mpf(approx.numerator) / approx.denominator) if isinstance(approx, Fraction) else approx
    if abs(value.imag) > 0 or abs(a.imag) > 0:
        return False
    noise = abs(value) * mp.mpf(_FLOAT_NOISE.numerator) / _FLOAT_NOISE.denominator
    return bool(abs(value - a) < max(mp.mpf(1) / (2 * 10**digits), noise))


def _huge_powers(p: Node, g: Node) -> bool | None:
    """``2^{2^{16}}`` and ``2^{65536}``: too big to build, equal when base and exponent are."""
    if p[0] == "pow" and g[0] == "pow":
        base = _scalar(p[1], g[1])
        if base:
            return _scalar(p[2], g[2])
    return None


def _constants_equal(p: Node, g: Node) -> bool | None:
    try:
        pv = _value(p, {})
    except TooBig:
        raise
    except Undefined:
        return False
    except NotExact:
        return None
    try:
        gv = _value(g, {})
    except TooBig:
        raise
    except (Undefined, NotExact):
        return None
    if _close(pv, gv):
        return True
    dp, dg = _digits(p), _digits(g)
    if dp is not None and dg is None:
        return _approx_equal(pv, dp, gv)
    if dg is not None and dp is None:
        return _approx_equal(gv, dg, pv)
    return False


def _points(names: frozenset[str], salt: str) -> list[dict[str, Fraction]]:
    """Deterministic, irregular rational points (so a test run is reproducible)."""
    ordered = sorted(names)
    seed = hashlib.blake2b(("|".join(ordered) + salt).encode(), digest_size=16).digest()
    points = []
    for k in range(8):
        env = {}
        for j, name in enumerate(ordered):
            b = seed[(k * 3 + j) % 16]
            num = (b % 23) + 2 + k + j
            den = (b // 23) % 7 + 3
            env[name] = Fraction(num if (b + k) % 3 else -num, den)
        points.append(env)
    return points


def _identity(p: Node, g: Node, names: frozenset[str]) -> bool | None:
    agreed = 0
    for env in _points(names, ""):
        try:
            a = _value(p, env)
            b = _value(g, env)
        except Undefined:
            continue
        except NotExact:
            return None
        if not _close(a, b):
            return False
        agreed += 1
        if agreed == 3:
            return True
    return None


def _scalar(p: Node, g: Node) -> bool | None:
    if p == g:
        return True
    names = free_vars(p) | free_vars(g)
    try:
        if not names:
            return _constants_equal(p, g)
        return _identity(p, g, names)
    except TooBig:
        return _huge_powers(p, g) if not names else None
    except (ArithmeticError, ValueError, OverflowError):
        return None


# ---------------------------------------------------------------------------------------------
# Structure


def _unpercent(node: Node) -> Node:
    return node[1] if node[0] == "pct" else node


def _over_100(node: Node) -> Node:
    return ("div", node[1], ("num", Fraction(100), None))


def _is_assignment(node: Node) -> bool:
    """``x = 3``, ``y = 2x + 1``, ``(p, q) = (3, 2)``, ``\\frac{NO}{BO} = \\frac{1}{\\sqrt{6}}``:
    the left side names what the right side is (a variable, a tuple of variables, or any
    expression with variables when the right side is a constant)."""
    if node[0] != "rel" or any(op != "=" for op in node[1]):
        return False
    lhs = node[2][0]
    if lhs[0] == "fn" and lhs[1] == "abs":  # |AB| = 1
        lhs = lhs[2][0]
    return _names_something(lhs)


def _names_something(lhs: Node) -> bool:
    """A variable, a tuple of them, a product of them (``AB``, ``xy``, ``f(3)``) or a ratio of
    such products (``\\frac{NO}{BO}``): not an expression such as ``a + 3z``."""
    kind = lhs[0]
    if kind == "var":
        return True
    if kind == "seq":
        return all(x[0] == "var" for x in lhs[1])
    if kind == "mul":
        first, rest = lhs[1][0], lhs[1][1:]
        return first[0] == "var" and all(x[0] in ("var", "num", "seq") for x in rest)
    if kind == "div":
        return _names_something(lhs[1]) and _names_something(lhs[2])
    if kind == "pow":  # n^2 = 225
        return lhs[1][0] == "var" and lhs[2][0] == "num"
    return False


def _true_chain(node: Node) -> bool:
    """``3 + 4 = 7``: a chain of equal constants (a false one, ``5 = 6``, is no answer)."""
    if node[0] != "rel" or any(op != "=" for op in node[1]):
        return False
    exprs = node[2]
    if any(e[0] not in _SCALARS or free_vars(e) for e in exprs):
        return False
    return all(_scalar(exprs[i], exprs[-1]) for i in range(len(exprs) - 1))


def _answer_of(node: Node) -> Node:
    """The value an assignment gives (``x = 2 + 1 = 3`` → ``3``, ``3 + 4 = 7`` → ``7``),
    else the node."""
    if _is_assignment(node) or _true_chain(node):
        return node[2][-1]
    if node[0] == "rel" and node[1] == ("in",):
        return node[2][1]
    return node


def _items(node: Node) -> tuple[tuple[Node, ...], bool] | None:
    """Elements of a collection and whether their order matters."""
    kind = node[0]
    if kind == "set":
        return tuple(_answer_of(x) for x in node[1]), False
    if kind == "list":
        return tuple(_answer_of(x) for x in node[1]), False
    if kind == "pm":
        a, b = node[1], node[2]
        return (("add", (a, b)), ("add", (a, ("neg", b)))), False
    if kind == "seq":
        return node[1], True
    return None


def _unordered(ps: tuple[Node, ...], gs: tuple[Node, ...]) -> bool | None:
    if len(ps) > _MAX_ITEMS or len(gs) > _MAX_ITEMS:
        return None
    unknown = False

    def covered(xs: tuple[Node, ...], ys: tuple[Node, ...], flip: bool) -> bool:
        nonlocal unknown
        for x in xs:
            found = False
            for y in ys:
                r = equal(y, x) if flip else equal(x, y)
                if r:
                    found = True
                    break
                if r is None:
                    unknown = True
            if not found:
                return False
        return True

    ok = covered(ps, gs, False) and covered(gs, ps, True)
    if ok:
        return True
    return None if unknown else False


def _ordered(ps: tuple[Node, ...], gs: tuple[Node, ...]) -> bool | None:
    if len(ps) != len(gs):
        return False
    unknown = False
    for x, y in zip(ps, gs):
        r = equal(x, y)
        if r is False:
            return False
        if r is None:
            unknown = True
    return None if unknown else True


_INF = ("const", "inf")
_NEG_INF = ("neg", ("const", "inf"))
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}


def _intervals(node: Node) -> list[tuple[Node, Node, bool, bool]] | None:
    """A union of intervals as (low, high, low closed, high closed), or ``None``."""
    kind = node[0]
    if kind == "seq" and len(node[1]) == 2:
        lo, hi = node[1]
        return [(lo, hi, node[2] == "[", node[3] == "]")]
    if kind == "minus":  # (-inf, inf) \\setminus {3}: cut the intervals at the points
        whole, points = _intervals(node[1]), node[2]
        if whole is None or points[0] != "set" or len(points[1]) > 4:
            return None
        for x in points[1]:
            cut: list[tuple[Node, Node, bool, bool]] = []
            for lo, hi, lo_closed, hi_closed in whole:
                inside = _position(lo) < _position(x) < _position(hi)
                keep = [(lo, hi, lo_closed, hi_closed)]
                cut += [(lo, x, lo_closed, False), (x, hi, False, hi_closed)] if inside else keep
            whole = cut
        return whole
    if kind == "set" and len(node[1]) <= _MAX_ITEMS:  # {-1} in {-1} \\cup [0, 7)
        return [(x, x, True, True) for x in node[1]]
    if kind == "union" or (kind == "list" and all(x[0] == "rel" for x in node[1])):  # or: x < -1 or x > 1
        out = []
        for part in node[1]:
            got = _intervals(part)
            if got is None:
                return None
            out.extend(got)
        return out
    if kind == "rel" and node[1] == ("in",):
        return _intervals(node[2][1])
    if kind == "rel" and all(op in _FLIP for op in node[1]):
        return _inequality_interval(node)
    if kind == "rel" and node[1] == ("!=",) and node[2][0][0] == "var" and not free_vars(node[2][1]):
        a = node[2][1]  # x != 3 is (-inf, 3) U (3, inf)
        return [(_NEG_INF, a, False, False), (a, _INF, False, False)]
    return None


def _position(node: Node) -> float:
    """Where a bound lies on the real line (for cutting intervals; nan when unknown)."""
    if node == _INF:
        return float("inf")
    if node == _NEG_INF:
        return float("-inf")
    try:
        value = _value(node, {})
    except (NotExact, Undefined, ArithmeticError, ValueError):
        return float("nan")
    return float(value) if isinstance(value, Fraction) else float(value.real)


def _abs_of_name(node: Node) -> bool:
    return node[0] == "fn" and node[1] == "abs" and _names_something(node[2][0])


def _mirrored(got: list[tuple[Node, Node, bool, bool]] | None) -> list[tuple[Node, Node, bool, bool]] | None:
    """The set of x with |x| in the interval ``got`` (a nonnegative lower end, or none)."""
    if got is None or len(got) != 1:
        return None
    lo, hi, lo_closed, hi_closed = got[0]
    if lo == _NEG_INF or _position(lo) <= 0:  # |x| < c: one interval around 0
        return [(("neg", hi), hi, hi_closed, hi_closed)] if hi != _INF else [(_NEG_INF, _INF, False, False)]
    negative_hi = _NEG_INF if hi == _INF else ("neg", hi)
    return [(negative_hi, ("neg", lo), hi_closed, lo_closed), (lo, hi, lo_closed, hi_closed)]


def _inequality_interval(node: Node) -> list[tuple[Node, Node, bool, bool]] | None:
    ops, exprs = node[1], node[2]
    if len(exprs) == 2 and any(e[0] == "neg" and e[1][0] == "var" for e in exprs):  # -x > -1 is x < 1
        exprs = tuple(e[1] if e[0] == "neg" else ("neg", e) for e in exprs)
        ops = tuple(_FLIP[op] for op in ops)
    var_at = [i for i, e in enumerate(exprs) if free_vars(e) and (_names_something(e) or _abs_of_name(e))]
    if len(var_at) != 1 or any(free_vars(e) for i, e in enumerate(exprs) if i != var_at[0]):
        return None
    k = var_at[0]
    if _abs_of_name(exprs[k]):  # 1 <= |z| <= 3/2 is [-3/2, -1] U [1, 3/2]
        inner = ("rel", ops, (*exprs[:k], exprs[k][2][0], *exprs[k + 1 :]))
        return _mirrored(_inequality_interval(inner))
    lo: tuple[Node, bool] = (_NEG_INF, False)
    hi: tuple[Node, bool] = (_INF, False)
    for i, op in enumerate(ops):
        left, right = exprs[i], exprs[i + 1]
        if i + 1 == k:  # bound < x
            bound, op = left, _FLIP[op]
        elif i == k:  # x < bound
            bound = right
        else:
            continue
        closed = op in ("<=", ">=")
        if op in ("<", "<="):
            hi = (bound, closed)
        else:
            lo = (bound, closed)
    return [(lo[0], hi[0], lo[1], hi[1])]


def _interval_sets(ps: list[Any], gs: list[Any]) -> bool | None:
    if len(ps) != len(gs):
        return False
    left = list(ps)
    unknown = False
    for g in gs:
        match = None
        for j, p in enumerate(left):
            if p[2:] != g[2:]:
                continue
            a, b = equal(p[0], g[0]), equal(p[1], g[1])
            if a and b:
                match = j
                break
            if a is None or b is None:
                unknown = True
        if match is None:
            return None if unknown else False
        del left[match]
    return True


def _equations(p: Node, g: Node) -> bool | None:
    if len(p[2]) != 2 or len(g[2]) != 2:
        return _ordered(p[2], g[2]) if p[1] == g[1] else False
    if p[2][0] == g[2][0] and p[2][0][0] == "var":
        return equal(p[2][1], g[2][1])
    f = ("add", (p[2][0], ("neg", p[2][1])))
    h = ("add", (g[2][0], ("neg", g[2][1])))
    names = free_vars(f) | free_vars(h)
    if not names:
        return _scalar(f, h)
    ratio = None
    agreed = 0
    try:
        for env in _points(names, "eq"):
            try:
                a, b = _value(f, env), _value(h, env)
            except Undefined:
                continue
            if isinstance(a, Fraction) and isinstance(b, Fraction):
                if (a == 0) != (b == 0):
                    return False
                if a == 0:
                    continue
                r = b / a
                if ratio is None:
                    ratio = r
                elif r != ratio:
                    return False
                agreed += 1
                if agreed == 3:
                    return True
            else:
                return None
    except (NotExact, ArithmeticError, ValueError):
        return None
    return None


def _relations(p: Node, g: Node) -> bool | None:
    if all(op == "=" for op in p[1]) and all(op == "=" for op in g[1]):
        if (len(p[2]) > 2 or len(g[2]) > 2) and _is_assignment(p) and _is_assignment(g):
            return equal(p[2][-1], g[2][-1])  # x = 5 + 6 = 11 and x = 11
        return _equations(p, g)
    pi, gi = _intervals(p), _intervals(g)
    if pi is not None and gi is not None:
        return _interval_sets(pi, gi)
    if len(p[1]) == 1 and len(g[1]) == 1 and p[1][0] in _FLIP and _FLIP[p[1][0]] == g[1][0]:
        return _ordered(p[2][::-1], g[2])
    if p[1] == g[1]:
        return _ordered(p[2], g[2])
    return False


def equal(p: Node, g: Node) -> bool | None:
    """Whether prediction ``p`` equals reference ``g``: ``True``, ``False``, or ``None`` when
    the fast path cannot tell (see the module docstring).

    The comparison is symmetric except where an equation meets a value (``x = 3`` and ``3``
    are equal either way round) and where one side is a bare list and the other a tuple
    (compared in order).
    """
    p, g = _split_pm(_matrix_arithmetic(p)), _split_pm(_matrix_arithmetic(g))
    pk, gk = p[0], g[0]
    if pk == "choice" or gk == "choice":
        return _choices(p, g)
    if pk == "deg" or gk == "deg":
        if pk == gk:
            return equal(p[1], g[1])
        same = equal(p[1], g) if pk == "deg" else equal(p, g[1])  # 60° for 60
        if same:
            return True
        radians = equal(_radians(p[1]), g) if pk == "deg" else equal(p, _radians(g[1]))  # 60° for pi/3
        return radians if radians or same is False else None
    if pk == "pct" or gk == "pct":
        if pk == gk:
            return equal(p[1], g[1])
        plain = equal(_unpercent(p), _unpercent(g))  # 10% for 10
        if plain:
            return True
        scaled = equal(_over_100(p), g) if pk == "pct" else equal(p, _over_100(g))  # 10% for 0.1
        if scaled:
            return True
        return None if plain is None or scaled is None else False
    if pk in _SCALARS and gk in _SCALARS:
        return _scalar(p, g)
    if pk == "text" or gk == "text":
        if pk == gk:
            return p[1] == g[1]
        ratio = _as_ratio(p if pk == "text" else g)
        if ratio is not None:  # 7:32 read as a time, compared with a ratio
            return equal(ratio, g) if pk == "text" else equal(p, ratio)
        other = p if gk == "text" else g
        text = g[1] if gk == "text" else p[1]
        if other[0] == "var" and len(other[1]) == 1:
            return text == other[1].lower()  # multiple choice: \text{(C)} and C
        return False
    if pk == "rel" or gk == "rel":
        if pk == "rel" and gk == "rel":
            return _relations(p, g)
        rel, other = (p, g) if pk == "rel" else (g, p)
        value = _answer_of(rel)
        if value is not rel:
            return equal(value, other) if rel is p else equal(other, value)
        ri, oi = _intervals(rel), _intervals(other)
        if ri is not None and oi is not None:
            return _interval_sets(ri, oi) if rel is p else _interval_sets(oi, ri)
        return False
    if pk in ("union", "minus") or gk in ("union", "minus"):
        pi, gi = _intervals(p), _intervals(g)
        return _interval_sets(pi, gi) if pi is not None and gi is not None else False
    if pk == "matrix" or gk == "matrix":
        return _matrices(p, g)
    pits, gits = _items(p), _items(g)
    if pits is None or gits is None:
        return False
    if pk == "seq" and gk == "seq":
        if len(p[1]) == 2 and (p[2], p[3]) != (g[2], g[3]):
            return False  # (1, 2] is not (1, 2)
        return _ordered(p[1], g[1])
    if gk == "seq" and pk == "list":
        return _ordered(pits[0], gits[0])
    if pk == "seq" and gk == "list":
        return _ordered(pits[0], gits[0])
    if pk == "seq" or gk == "seq":
        return False  # a tuple is not a set
    return _unordered(pits[0], gits[0])


def _has_pm(node: Any) -> bool:
    if not isinstance(node, tuple) or not node:
        return False
    if node[0] == "pm":
        return True
    if node[0] in ("num", "var", "const", "text"):
        return False
    return any(
        _has_pm(part) if part and isinstance(part[0], str) else any(_has_pm(x) for x in part)
        for part in node[1:]
        if isinstance(part, tuple)
    )


def _choose(node: Any, sign: int) -> Any:
    """``node`` with every ``a \\pm b`` replaced by ``a + b`` (sign 1) or ``a - b`` (-1)."""
    if not isinstance(node, tuple) or not node or not isinstance(node[0], str):
        return node
    if node[0] == "pm":
        a, b = _choose(node[1], sign), _choose(node[2], sign)
        return ("add", (a, b if sign > 0 else ("neg", b)))
    if node[0] in ("num", "var", "const", "text"):
        return node
    out: list[Any] = [node[0]]
    for part in node[1:]:
        if isinstance(part, tuple) and part and isinstance(part[0], str):
            out.append(_choose(part, sign))
        elif isinstance(part, tuple):
            out.append(tuple(_choose(x, sign) for x in part))
        else:
            out.append(part)
    return tuple(out)


def _split_pm(node: Node) -> Node:
    """``\\frac{-1 \\pm \\sqrt{5}}{2}`` → the set of its two values (a top-level ``a \\pm b``
    is kept as is: :func:`_items` reads it)."""
    if node[0] == "pm" or node[0] not in _SCALARS or not _has_pm(node):
        return node
    return ("set", (_choose(node, 1), _choose(node, -1)))


def _radians(node: Node) -> Node:
    return ("div", ("mul", (node, ("const", "pi"))), ("num", Fraction(180), None))


def _choices(p: Node, g: Node) -> bool | None:
    """``(C) 12`` equals ``(C) 12``, the letter ``C``, and the value ``12``."""
    if p[0] == "choice" and g[0] == "choice":
        return p[1] == g[1]
    choice, other = (p, g) if p[0] == "choice" else (g, p)
    if other[0] in ("var", "text") and len(other[1]) == 1:
        return choice[1] == other[1].upper()
    return equal(choice[2], other) if choice is p else equal(other, choice[2])


def _as_ratio(node: Node) -> Node | None:
    parts = node[1].split(":")
    if len(parts) == 2 and all(x.isdigit() for x in parts):
        return ("div", ("num", Fraction(int(parts[0])), None), ("num", Fraction(int(parts[1])), None))
    return None


def _matrix_arithmetic(node: Node) -> Node:
    """Sums, scalar multiples and products of matrices, carried out cell by cell (the cells
    stay trees): ``2\\begin{pmatrix}2\\\\3\\end{pmatrix}`` is the matrix of ``2*2`` and ``2*3``."""
    if node[0] not in ("add", "mul", "neg", "div") or "matrix" not in repr(node):
        return node
    try:
        out = _reduce_matrix(node)
    except (ValueError, IndexError):
        return node
    return out if out[0] == "matrix" else node


def _reduce_matrix(node: Node) -> Node:
    kind = node[0]
    if kind == "neg":
        inner = _reduce_matrix(node[1])
        return _map_cells(inner, lambda c: ("neg", c)) if inner[0] == "matrix" else node
    if kind == "div":
        top = _reduce_matrix(node[1])
        return _map_cells(top, lambda c: ("div", c, node[2])) if top[0] == "matrix" else node
    if kind == "add":
        terms = [_reduce_matrix(t) for t in node[1]]
        if not all(t[0] == "matrix" for t in terms):
            if any(t[0] == "matrix" for t in terms):
                raise ValueError("a matrix plus a scalar")
            return node
        shape = {(len(t[1]), len(t[1][0])) for t in terms}
        if len(shape) != 1:
            raise ValueError("shapes differ")
        rows, cols = shape.pop()
        return ("matrix", tuple(tuple(("add", tuple(t[1][i][j] for t in terms)) for j in range(cols))
                                for i in range(rows)))
    if kind == "mul":
        acc: Node | None = None
        for factor in (_reduce_matrix(f) for f in node[1]):
            if acc is None:
                acc = factor
            elif acc[0] == "matrix" and factor[0] == "matrix":
                acc = _product(acc, factor)
            elif acc[0] == "matrix":
                acc = _map_cells(acc, lambda c, s=factor: ("mul", (c, s)))
            elif factor[0] == "matrix":
                acc = _map_cells(factor, lambda c, s=acc: ("mul", (s, c)))
            else:
                acc = ("mul", (acc, factor))
        return acc if acc is not None else node
    return node


def _map_cells(matrix: Node, fn: Any) -> Node:
    return ("matrix", tuple(tuple(fn(c) for c in row) for row in matrix[1]))


def _product(a: Node, b: Node) -> Node:
    left, right = a[1], b[1]
    if len(left[0]) != len(right):
        raise ValueError("shapes do not chain")
    inner = range(len(right))
    return ("matrix", tuple(
        tuple(("add", tuple(("mul", (left[i][k], right[k][j])) for k in inner)) for j in range(len(right[0])))
        for i in range(len(left))
    ))


def _cells(node: Node) -> tuple[tuple[int, int], tuple[Node, ...]] | None:
    if node[0] == "matrix":
        rows = node[1]
        return (len(rows), len(rows[0])), tuple(x for r in rows for x in r)
    if node[0] == "seq" and node[2] == "(":
        return (len(node[1]), 1), node[1]
    return None


def _matrices(p: Node, g: Node) -> bool | None:
    pc, gc = _cells(p), _cells(g)
    if pc is None or gc is None:
        return False
    if pc[0] != gc[0]:
        vector = 1 in pc[0] and 1 in gc[0] and len(pc[1]) == len(gc[1])
        if not (vector and (p[0] != "matrix" or g[0] != "matrix")):
            return False
    return _ordered(pc[1], gc[1])
