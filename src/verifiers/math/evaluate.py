"""Values of parsed answers: exactly (Python ``Fraction``) where possible, else numerically
with ``mpmath`` at high precision. Every operation is bounded: no power, factorial or
binomial is computed when its result could exceed ``MAX_BITS`` bits.

>>> from verifiers.math.parse import parse
>>> exact(parse(r"\\frac{3}{4} + 2^{10}"), {})
Fraction(4099, 4)
>>> round(float(numeric(parse(r"2\\sqrt{2}"), {}).real), 6)
2.828427
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from verifiers.math.parse import Node

__all__ = ["MAX_BITS", "NotExact", "TooBig", "Undefined", "exact", "numeric"]

#: Largest number (in bits) that evaluating an answer may build.
MAX_BITS = 20_000
#: Working precision of numeric evaluation, in decimal digits.
DPS = 60


class NotExact(ValueError):
    """The value is not a rational number (or cannot be shown to be one cheaply)."""


class TooBig(NotExact):
    """Evaluating would build a number larger than ``MAX_BITS`` bits."""


class Undefined(ValueError):
    """Division by zero, or a function outside its domain."""


def _bits(q: Fraction) -> int:
    return max(q.numerator.bit_length(), q.denominator.bit_length())


def _exact_root(q: Fraction, n: int) -> Fraction:
    """The rational n-th root of ``q``, or raise NotExact."""
    if q < 0:
        if n % 2 == 0:
            raise NotExact("even root of a negative number")
        return -_exact_root(-q, n)
    out = []
    for part in (q.numerator, q.denominator):
        r = round(part ** (1.0 / n)) if part.bit_length() < 1000 else _iroot(part, n)
        for cand in (r - 1, r, r + 1):
            if cand >= 0 and cand**n == part:
                out.append(cand)
                break
        else:
            raise NotExact("no rational root")
    return Fraction(out[0], out[1])


def _iroot(x: int, n: int) -> int:
    lo, hi = 0, 1 << (x.bit_length() // n + 1)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if mid**n <= x:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _power(base: Fraction, exp: Fraction) -> Fraction:
    if exp.denominator != 1:
        if exp.denominator > 64:
            raise NotExact("root of high degree")
        base = _exact_root(base, exp.denominator)
        exp = Fraction(exp.numerator)
    e = exp.numerator
    if base == 0:
        if e < 0:
            raise Undefined("zero to a negative power")
        return Fraction(1) if e == 0 else Fraction(0)
    if base in (1, -1):
        return base ** e
    if abs(e) * _bits(base) > MAX_BITS:
        raise TooBig("power too large")
    return base**e


def exact(node: Node, env: dict[str, Fraction]) -> Fraction:
    """The exact rational value of ``node`` with variables from ``env``.

    Raises:
        NotExact: an irrational or unsupported part (``\\pi``, ``\\sqrt{2}``, ``\\sin``).
        TooBig: a number over ``MAX_BITS`` bits would be built.
        Undefined: division by zero and the like.
    """
    kind = node[0]
    if kind == "num":
        return node[1]  # type: ignore[no-any-return]
    if kind == "var":
        name = node[1]
        if name in env:
            return env[name]
        raise NotExact(f"free variable {name}")
    if kind == "add":
        return sum((exact(t, env) for t in node[1]), Fraction(0))
    if kind == "mul":
        out = Fraction(1)
        for f in node[1]:
            out *= exact(f, env)
            if _bits(out) > MAX_BITS:
                raise TooBig("product too large")
        return out
    if kind == "neg":
        return -exact(node[1], env)
    if kind == "div":
        num, den = exact(node[1], env), exact(node[2], env)
        if den == 0:
            raise Undefined("division by zero")
        return num / den
    if kind == "pow":
        base = exact(node[1], env)
        exp = exact(node[2], env)
        return _power(base, exp)
    if kind == "pct":
        return exact(node[1], env) / 100
    if kind == "fn":
        return _exact_fn(node[1], [exact(a, env) for a in node[2]])
    raise NotExact(kind)


def _exact_fn(name: str, args: list[Fraction]) -> Fraction:
    x = args[0]
    if name == "sqrt":
        if x < 0:
            raise NotExact("square root of a negative number")
        return _exact_root(x, 2)
    if name == "abs":
        return abs(x)
    if name in ("floor", "ceil"):
        return Fraction(math.floor(x) if name == "floor" else math.ceil(x))
    if name == "factorial":
        if x.denominator != 1 or x < 0:
            raise Undefined("factorial of a non-natural number")
        if x > 2000:
            raise TooBig("factorial too large")
        return Fraction(math.factorial(int(x)))
    if name == "binom":
        n, k = x, args[1]
        if n.denominator != 1 or k.denominator != 1 or n < 0:
            raise NotExact("binomial of non-integers")
        if n > 5000:
            raise TooBig("binomial too large")
        return Fraction(math.comb(int(n), int(k))) if k >= 0 else Fraction(0)
    if name == "log" and len(args) == 2:
        base = args[1]
        if x <= 0 or base <= 0 or base == 1:
            raise Undefined("logarithm outside its domain")
        # log_b(x) is rational p/q exactly when x^q == b^p: try small q
        for q in range(1, 7):
            xq = _power(x, Fraction(q)) if _bits(x) * q <= MAX_BITS else None
            if xq is None:
                break
            approx = math.log(float(x)) * q / math.log(float(base)) if float(base) > 0 else 0
            p = round(approx)
            if abs(p) * _bits(base) <= MAX_BITS and _power(base, Fraction(p)) == xq:
                return Fraction(p, q)
        raise NotExact("irrational logarithm")
    if name in ("sin", "tan", "arcsin", "arctan", "sinh", "tanh") and x == 0:
        return Fraction(0)
    if name in ("cos", "cosh", "exp") and x == 0:
        return Fraction(1)
    if name == "ln" and x == 1:
        return Fraction(0)
    raise NotExact(name)


_MP: Any = None


def _mp() -> Any:
    global _MP
    if _MP is None:
        from mpmath.ctx_mp import MPContext

        ctx = MPContext()  # our own context: the global mpmath precision stays the user's
        ctx.dps = DPS
        _MP = ctx
    return _MP


def numeric(node: Node, env: dict[str, Any]) -> Any:
    """A high-precision complex value of ``node`` (an ``mpc``), variables from ``env``.

    Raises:
        NotExact: unsupported node (text, containers) or a free variable.
        TooBig: a result too large to represent sensibly.
        Undefined: division by zero, a pole.
    """
    mp = _mp()
    return _num(node, env, mp)


def _num(node: Node, env: dict[str, Any], mp: Any) -> Any:
    kind = node[0]
    if kind == "num":
        q = node[1]
        return mp.mpc(mp.mpf(q.numerator) / q.denominator)
    if kind == "var":
        name = node[1]
        if name in env:
            v = env[name]
            return mp.mpc(mp.mpf(v.numerator) / v.denominator) if isinstance(v, Fraction) else mp.mpc(v)
        if name == "e":
            return mp.mpc(mp.e)
        if name == "i":
            return mp.mpc(0, 1)
        raise NotExact(f"free variable {name}")
    if kind == "const":
        name = node[1]
        if name == "pi":
            return mp.mpc(mp.pi)
        if name == "e":
            return mp.mpc(mp.e)
        if name == "i":
            return mp.mpc(0, 1)
        raise NotExact("infinity")
    if kind == "add":
        out = mp.mpc(0)
        for t in node[1]:
            out += _num(t, env, mp)
        return out
    if kind == "mul":
        out = mp.mpc(1)
        for f in node[1]:
            out *= _num(f, env, mp)
        return _check(out, mp)
    if kind == "neg":
        return -_num(node[1], env, mp)
    if kind == "div":
        num, den = _num(node[1], env, mp), _num(node[2], env, mp)
        if den == 0:
            raise Undefined("division by zero")
        return num / den
    if kind == "pow":
        base, exp = _num(node[1], env, mp), _num(node[2], env, mp)
        if abs(exp) > 10**6 and abs(base) not in (0, 1):
            raise TooBig("exponent too large")
        if base == 0:
            if exp.real < 0:
                raise Undefined("zero to a negative power")
            return mp.mpc(0) if exp != 0 else mp.mpc(1)
        if abs(abs(base) - 1) > 0 and abs(exp) * abs(mp.log(abs(base))) > 10**5:
            raise TooBig("power too large")
        return _check(base**exp, mp)
    if kind == "pct":
        return _num(node[1], env, mp) / 100
    if kind == "fn":
        return _num_fn(node[1], [_num(a, env, mp) for a in node[2]], mp)
    raise NotExact(kind)


def _check(value: Any, mp: Any) -> Any:
    if not (mp.isfinite(value.real) and mp.isfinite(value.imag)):
        raise TooBig("overflow")
    return value


def _real_int(x: Any, mp: Any) -> int:
    if x.imag != 0 or x.real != mp.floor(x.real):
        raise Undefined("not an integer")
    return int(x.real)


def _num_fn(name: str, args: list[Any], mp: Any) -> Any:
    x = args[0]
    try:
        if name == "sqrt":
            return mp.sqrt(x)
        if name == "abs":
            return mp.mpc(abs(x))
        if name == "floor" or name == "ceil":
            if x.imag != 0:
                raise Undefined("floor of a complex number")
            return mp.mpc(mp.floor(x.real) if name == "floor" else mp.ceil(x.real))
        if name == "factorial":
            n = _real_int(x, mp)
            if n < 0:
                raise Undefined("factorial of a negative number")
            if n > 10**6:
                raise TooBig("factorial too large")
            return mp.mpc(mp.factorial(n))
        if name == "binom":
            return mp.mpc(mp.binomial(x.real, args[1].real))
        if name in ("log", "ln"):
            if x == 0:
                raise Undefined("log of zero")
            if len(args) == 2:
                if args[1] == 0 or args[1] == 1:
                    raise Undefined("log base")
                return mp.log(x) / mp.log(args[1])
            return mp.log(x)
        if name in ("exp",):
            if abs(x) > 10**5:
                raise TooBig("exp too large")
            return mp.exp(x)
        if name in ("tan", "cot", "sec", "csc"):
            base = {"tan": mp.tan, "cot": mp.cot, "sec": mp.sec, "csc": mp.csc}[name]
            value = base(x)
            return _check(value, mp)
        fn = {
            "sin": mp.sin, "cos": mp.cos, "arcsin": mp.asin, "arccos": mp.acos, "arctan": mp.atan,
            "sinh": mp.sinh, "cosh": mp.cosh, "tanh": mp.tanh,
        }.get(name)
        if fn is None:
            raise NotExact(f"function {name}")
        if abs(x) > 10**5:
            raise TooBig("argument too large")
        return fn(x)
    except (ZeroDivisionError, ValueError) as exc:
        if isinstance(exc, (NotExact, Undefined)):
            raise
        raise Undefined(str(exc)) from None
