"""A fast parser for the LaTeX and plain-text subset that final answers are written in.

It reads numbers (integers, decimals, thousands separators, scientific notation, percent),
fractions and mixed numbers, radicals, ``\\pi``, ``e`` and ``i``, powers, factorials, binomials,
functions (trig, logarithms, ``\\exp``, absolute value), variables (with subscripts), ``\\pm``,
tuples, sets, intervals, matrices, relations (``=``, ``<``, ``\\le``, ...), bare lists
(``1, 2`` or ``2 or 3``) and text (``\\text{east}``, number words such as ``forty two``),
into a small tree of tuples (see :data:`Node`). No regex backtracking, no recursion deeper
than ``MAX_DEPTH``, no work beyond a linear scan of at most ``MAX_CHARS`` characters, so it is
safe to run in-process on anything a model writes. What it cannot read raises
:class:`Unparsed`; the caller then falls back to ``latex2sympy2_extended`` behind a deadline.

Tree nodes (tuples, hashable, compared structurally):

* ``("num", Fraction, digits)``: a number; ``digits`` is the count of decimals written when the
  number was written as a decimal (``0.333`` → 3; an approximation may match within that
  precision), else ``None`` (exact: ``3``, ``3/4``, ``1.5e3`` has ``None``... see
  :func:`_number`).
* ``("var", name)``, ``("const", "pi" | "e" | "i" | "inf")``.
* ``("add", (a, b, ...))``, ``("mul", (a, b, ...))``, ``("neg", a)``, ``("div", a, b)``,
  ``("pow", a, b)``, ``("fn", name, (args...))``, ``("pct", a)`` (a percent).
* ``("pm", a, b)``: ``a ± b``.
* ``("seq", (items...), open, close)``: a bracketed list, ``(1, 2]`` included (tuple or interval
  is decided when comparing); ``("set", (items...))``; ``("list", (items...))`` (a bare list);
  ``("matrix", ((row...), ...))``; ``("union", (a, b, ...))``.
* ``("rel", (ops...), (exprs...))``: a relation or a chain ``a < x \\le b``.
* ``("text", "normalized words")``.
* ``("deg", a)``: an answer written in degrees (``60^\\circ``); ``("choice", "C", a)``: a
  multiple-choice label with its value (``\\textbf{(C) } 12``).

>>> parse(r"\\frac{1}{2}")
('div', ('num', Fraction(1, 1), None), ('num', Fraction(2, 1), None))
>>> parse("0.50")
('num', Fraction(1, 2), 2)
>>> parse(r"x = 3")[0], parse(r"\\text{East}")
('rel', ('text', 'east'))
"""

from __future__ import annotations

import itertools
import re
from fractions import Fraction
from typing import Any

__all__ = ["MAX_CHARS", "MAX_DEPTH", "Node", "Unparsed", "parse", "prepare", "unit_of"]

Node = tuple[Any, ...]

#: Longest answer the fast parser reads.
MAX_CHARS = 600
#: Deepest nesting of brackets, groups and operators.
MAX_DEPTH = 80
#: Longest number literal, in digits.
MAX_DIGITS = 400


class Unparsed(ValueError):
    """The text is outside the subset this parser reads (not a verdict on the answer)."""


# ---------------------------------------------------------------------------------------------
# Preparation: one pass of cheap string rewrites.

_DROP = re.compile(
    r"\\left(?![A-Za-z])|\\right(?![A-Za-z])|\\big+l?r?(?![A-Za-z])|\\Big+l?r?(?![A-Za-z])"
    r"|\\displaystyle|\\textstyle|(?<!\\)\\[,;: ]|\\quad|\\qquad|\\limits|~|\\\$|\$|\\mkern\d*mu"
)
_ALIASES = {
    "\\dfrac": "\\frac", "\\tfrac": "\\frac", "\\cfrac": "\\frac", "\\dbinom": "\\binom", "\\tbinom": "\\binom",
    "\\le": "\\leq", "\\leqslant": "\\leq", "\\ge": "\\geq", "\\geqslant": "\\geq", "\\ne": "\\neq",
    "\\lt": "<", "\\gt": ">", "\\lbrace": "\\{", "\\rbrace": "\\}", "\\lbrack": "[", "\\rbrack": "]",
    "\\lvert": "|", "\\rvert": "|", "\\vert": "|", "\\mid": "|", "\\lparen": "(", "\\rparen": ")",
    "\\varpi": "\\pi", "\\mathbf": "\\mathrm", "\\mathit": "\\mathrm", "\\operatorname": "\\mathrm",
    "\\textbf": "\\text", "\\textit": "\\text", "\\textrm": "\\text", "\\mbox": "\\text", "\\hbox": "\\text",
    "\\textnormal": "\\text", "\\emph": "\\text", "\\mathsf": "\\mathrm", "\\mathbb": "\\mathrm",
    "\\bmatrix": "\\pmatrix", "\\langle": "(", "\\rangle": ")", "\\angle": "", "\\measuredangle": "",
}
_COMMAND = re.compile(r"\\[A-Za-z]+")
_UNICODE = str.maketrans({
    "−": "-", "–": "-", "×": "*", "·": "*", "÷": "/", "≤": "<=", "≥": ">=", "≠": "!=", "π": "\\pi ",
    "∞": "\\infty ", "√": "\\sqrt ", "±": "\\pm ", "∪": "\\cup ", "∅": "\\emptyset ", "，": ",", "：": ":",
    "（": "(", "）": ")", "。": ".", "²": "^2", "³": "^3", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "％": "%",
    "°": "^\\circ",
})
_DEGREES_AFTER_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(?:\^\s*\{?\s*\\circ\s*\}?|\\degree(?![A-Za-z]))")
_ODD_COMMA = re.compile(r"\s*\{\s*,\s*\}\s*")  # 14 {, }916
_GLUE = re.compile(r"(?<!\\)\\!\s*")
_TRIG = re.compile(r"\\(?:sin|cos|tan|cot|sec|csc)(?![A-Za-z])")
_PERCENT_WORDS = re.compile(r"(?<=[\d}])\s*(?:percentage|percent|pct)\b")
_DEGREE = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|\\degree(?![A-Za-z])|\\circ(?![A-Za-z])")


def prepare(text: str) -> str:
    """Cheap rewrites before tokenizing: math delimiters, sizing and spacing commands go,
    aliases (``\\dfrac``, ``\\le``, ``\\textbf``, Unicode operators) are unified, degree signs
    go, and trailing sentence punctuation is dropped.

    >>> prepare(r" $\\left( \\dfrac{1}{2}, 3 \\right)$. ")
    '( \\\\frac{1}{2}, 3 )'
    >>> prepare("90°"), prepare(r"x \\le 2")
    ('90', 'x \\\\leq 2')
    """
    s = text.translate(_UNICODE)
    s = s.replace("\\mathbb{R}", "(-\\infty,\\infty)")
    s = _GLUE.sub("", s)
    s = _ODD_COMMA.sub("{,}", s)
    if "\\circ" in s and _TRIG.search(s):  # \sin 60^\circ: degrees inside a trig function are radians * pi/180
        s = _DEGREES_AFTER_NUMBER.sub(lambda m: "(" + m.group(1) + "\\pi/180)", s)
    s = _PERCENT_WORDS.sub("%", s)
    s = _DROP.sub(" ", s)
    s = _COMMAND.sub(lambda m: _ALIASES.get(m.group(0), m.group(0)), s)
    s = _DEGREE.sub("", s)
    s = " ".join(s.split())
    while s and s[-1] in ".;:。?":
        s = s[:-1].rstrip()
    return s


# ---------------------------------------------------------------------------------------------
# Tokens: (kind, text). Kinds: num, letter, word, cmd, sym, text.

_TOKEN = re.compile(
    r"(?P<num>\d+(?:\.\d*)?|\.\d+)"
    r"|(?P<cmd>\\(?:[A-Za-z]+|[{}%|,\\ ]))"
    r"|(?P<word>[A-Za-z]{2,})"
    r"|(?P<letter>[A-Za-z])"
    r"|(?P<sym><=|>=|!=|==|\*\*|[-+*/^_()\[\]{}=<>!,|&;%':])"
    r"|(?P<space>\s+)"
)
#: Words that name functions or constants in plain text (``sqrt(2)``, ``pi``, ``ln 2``).
_WORD_COMMANDS = {
    "sqrt": "\\sqrt", "pi": "\\pi", "sin": "\\sin", "cos": "\\cos", "tan": "\\tan", "cot": "\\cot", "sec": "\\sec",
    "csc": "\\csc", "ln": "\\ln", "log": "\\log", "exp": "\\exp", "arcsin": "\\arcsin", "arccos": "\\arccos",
    "arctan": "\\arctan", "infty": "\\infty", "inf": "\\infty", "infinity": "\\infty", "or": "\\or", "and": "\\and",
    "sinh": "\\sinh", "cosh": "\\cosh", "tanh": "\\tanh",
}
_FUNCTIONS = {
    "\\sin", "\\cos", "\\tan", "\\cot", "\\sec", "\\csc", "\\arcsin", "\\arccos", "\\arctan", "\\sinh", "\\cosh",
    "\\tanh", "\\ln", "\\log", "\\exp", "\\lg",
}
_CONSTANTS = {"\\pi": ("const", "pi"), "\\infty": ("const", "inf"), "\\infinity": ("const", "inf")}
_GREEK = {
    "\\alpha", "\\beta", "\\gamma", "\\delta", "\\epsilon", "\\varepsilon", "\\zeta", "\\eta", "\\theta", "\\vartheta",
    "\\iota", "\\kappa", "\\lambda", "\\mu", "\\nu", "\\xi", "\\rho", "\\sigma", "\\tau", "\\upsilon", "\\phi",
    "\\varphi", "\\chi", "\\psi", "\\omega", "\\Gamma", "\\Delta", "\\Theta", "\\Lambda", "\\Xi", "\\Sigma",
    "\\Phi", "\\Psi", "\\Omega",
}
_RELATIONS = {"=": "=", "==": "=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "!=": "!=", "\\leq": "<=",
              "\\geq": ">=", "\\neq": "!=", "\\approx": "=", "\\in": "in"}
_TIMES = {"*", "\\cdot", "\\times", "\\ast"}
_DIVIDE = {"/", "\\div", ":"}

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9, "trillion": 10**12}


def words_to_number(text: str) -> int | None:
    """The integer a phrase of English number words names, or ``None``.

    >>> words_to_number("forty two"), words_to_number("Forty-Two"), words_to_number("two forty")
    (42, 42, None)
    >>> words_to_number("one hundred and five"), words_to_number("east")
    (105, None)
    """
    parts = [p for p in re.split(r"[\s\-]+", text.lower().strip()) if p and p != "and"]
    if not parts or len(parts) > 12:
        return None
    total = current = 0
    last = None  # the kind of the last word: "unit" (< 10), "teen", "tens", "hundred", "scale"
    for p in parts:
        if p in _NUMBER_WORDS:
            v = _NUMBER_WORDS[p]
            kind = "tens" if v >= 20 else "teen" if v >= 10 else "unit"
            # "two forty", "forty fifty", "one two": not a number; "forty two" is
            if last in ("unit", "teen") or (last == "tens" and kind != "unit"):
                return None
            current += v
            last = kind
        elif p == "hundred":
            if last not in ("unit", "teen", "tens") or current >= 100:
                return None
            current *= 100
            last = "hundred"
        elif p in _SCALES:
            if last is None or last == "scale":
                return None
            total += current * _SCALES[p]
            current = 0
            last = "scale"
        else:
            return None
    return total + current


def _tokens(s: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos, n = 0, len(s)
    while pos < n:
        m = _TOKEN.match(s, pos)
        if m is None:
            raise Unparsed(f"unexpected character {s[pos]!r}")
        kind = m.lastgroup or ""
        text = m.group(0)
        pos = m.end()
        if kind == "space":
            continue
        if kind == "word":
            low = text.lower()
            if low in _WORD_COMMANDS:
                kind, text = "cmd", _WORD_COMMANDS[low]
            elif text in ("sqrt",):
                kind, text = "cmd", "\\sqrt"
        if kind == "cmd" and text in ("\\text", "\\mathrm"):
            # \text{...}: read the braced argument verbatim
            j = pos
            while j < n and s[j] == " ":
                j += 1
            if j < n and s[j] == "{":
                depth, k = 0, j
                while k < n:
                    if s[k] == "{":
                        depth += 1
                    elif s[k] == "}":
                        depth -= 1
                        if depth == 0:
                            break
                    k += 1
                if k >= n:
                    raise Unparsed("unclosed \\text{")
                out.append(("text" if text == "\\text" else "rm", s[j + 1 : k]))
                pos = k + 1
                continue
        out.append((kind, text))
    return out


# ---------------------------------------------------------------------------------------------
# The parser: recursive descent over the token list, depth-bounded.

_UNITS = {
    "cm", "mm", "km", "m", "kg", "g", "mg", "s", "sec", "seconds", "second", "min", "minutes", "minute", "h", "hr",
    "hrs", "hours", "hour", "days", "day", "weeks", "week", "years", "year", "months", "month", "ft", "feet", "foot",
    "inches", "inch", "in", "yd", "yards", "miles", "mile", "mi", "lb", "lbs", "pounds", "pound", "oz", "ounces",
    "ml", "mL", "l", "L", "liters", "litres", "liter", "dollars", "dollar", "cents", "cent", "units", "unit",
    "degrees", "degree", "meters", "meter", "metres", "centimeters", "kilometers", "grams", "gram", "kilograms",
    "mph", "km/h", "people", "students", "apples", "marbles", "items", "pages", "books", "sq", "square", "cubic",
    "percent", "mi/h", "m/s", "radians", "rad", "yuan", "euros", "rupees", "times", "ways", "points", "cups",
}


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.t = tokens
        self.i = 0
        self.depth = 0

    # -- helpers
    def peek(self, k: int = 0) -> tuple[str, str]:
        j = self.i + k
        return self.t[j] if j < len(self.t) else ("end", "")

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        self.i += 1
        return tok

    def accept(self, text: str) -> bool:
        if self.peek()[1] == text and self.peek()[0] in ("sym", "cmd"):
            self.i += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            raise Unparsed(f"expected {text!r}, found {self.peek()[1]!r}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unparsed("nested too deeply")

    # -- grammar
    def top(self) -> Node:
        node = self.listing()
        if self.peek()[0] != "end":
            raise Unparsed(f"unexpected {self.peek()[1]!r}")
        return node

    def listing(self) -> Node:
        """Items separated by commas, semicolons, 'or' and 'and'. Semicolons between groups
        of assignments make tuples: ``p=5,q=2; p=7,q=2`` is ``(p=5, q=2), (p=7, q=2)``."""
        items = [self.relation()]
        groups: list[int] = []  # where each ';' falls
        while True:
            tok = self.peek()
            if tok[1] in (",", ";", "\\or", "\\and") and tok[0] in ("sym", "cmd"):
                self.i += 1
                if tok[1] == ";":
                    groups.append(len(items))
                if self.peek()[1] in ("\\or", "\\and"):  # ", and"
                    self.i += 1
                items.append(self.relation())
            elif tok[0] in ("text", "rm") and tok[1].strip().lower() in ("or", "and", ",", "or,", "and,"):
                self.i += 1
                items.append(self.relation())
            else:
                break
        if groups and all(x[0] == "rel" for x in items):
            bounds = [0, *groups, len(items)]
            parts = [tuple(items[a:b]) for a, b in itertools.pairwise(bounds)]
            items = [p[0] if len(p) == 1 else ("seq", p, "(", ")") for p in parts]
        return items[0] if len(items) == 1 else ("list", tuple(items))

    def relation(self) -> Node:
        self.enter()
        exprs = [self.union()]
        ops: list[str] = []
        while True:
            tok = self.peek()
            op = _RELATIONS.get(tok[1]) if tok[0] in ("sym", "cmd") else None
            if op is None:
                break
            self.i += 1
            ops.append(op)
            exprs.append(self.union())
        self.depth -= 1
        return exprs[0] if not ops else ("rel", tuple(ops), tuple(exprs))

    def union(self) -> Node:
        items = [self.sum()]
        while self.accept("\\cup"):
            items.append(self.sum())
        node = items[0] if len(items) == 1 else ("union", tuple(items))
        if self.accept("\\setminus"):  # \mathbb{R} \setminus \{3\}
            node = ("minus", node, self.sum())
        return node

    def sum(self) -> Node:
        self.enter()
        terms = [self.term()]
        while True:
            tok = self.peek()
            if tok == ("sym", "+"):
                self.i += 1
                terms.append(self.term())
            elif tok == ("sym", "-"):
                self.i += 1
                terms.append(("neg", self.term()))
            elif tok in (("cmd", "\\pm"), ("cmd", "\\mp")):
                self.i += 1
                left = terms[0] if len(terms) == 1 else ("add", tuple(terms))
                right = self.term()
                terms = [("pm", left, right if tok[1] == "\\pm" else ("neg", right))]
            else:
                break
        self.depth -= 1
        return terms[0] if len(terms) == 1 else ("add", tuple(terms))

    def term(self) -> Node:
        self.enter()
        node = self.unary()
        factors = [node]
        while True:
            tok = self.peek()
            if tok[1] in _TIMES and tok[0] in ("sym", "cmd"):
                self.i += 1
                factors.append(self.unary())
            elif tok[1] in _DIVIDE and tok[0] in ("sym", "cmd"):
                self.i += 1
                right = self.unary()
                left = factors[0] if len(factors) == 1 else ("mul", tuple(factors))
                factors = [("div", left, right)]
            elif self.starts_primary(tok):
                factors.append(self.power())
            else:
                break
        self.depth -= 1
        return factors[0] if len(factors) == 1 else ("mul", tuple(factors))

    def starts_primary(self, tok: tuple[str, str]) -> bool:
        kind, text = tok
        if kind in ("num", "letter"):
            return True
        if kind == "cmd":
            return (
                text in _FUNCTIONS or text in _CONSTANTS or text in _GREEK
                or text in ("\\frac", "\\sqrt", "\\binom", "\\{", "\\begin", "\\lfloor", "\\lceil")
            )
        if kind == "word":
            return len(text) <= 3
        return kind == "sym" and text in ("(", "[")

    def unary(self) -> Node:
        tok = self.peek()
        if tok == ("sym", "-"):
            self.i += 1
            self.enter()
            node = ("neg", self.unary())
            self.depth -= 1
            return node
        if tok == ("sym", "+"):
            self.i += 1
            return self.unary()
        if tok in (("cmd", "\\pm"), ("cmd", "\\mp")):
            self.i += 1
            return ("pm", ("num", Fraction(0), None), self.unary())
        return self.power()

    def power(self) -> Node:
        self.enter()
        base = self.postfix()
        if self.peek() in (("sym", "^"), ("sym", "**")):
            self.i += 1
            exponent = self.exponent()
            base = ("pow", base, exponent)
            while self.peek() == ("sym", "!"):
                self.i += 1
                base = ("fn", "factorial", (base,))
        self.depth -= 1
        return base

    def exponent(self) -> Node:
        """A TeX superscript: a braced group, or one token (``2^10`` is ``2^1 0`` in TeX, but
        models mean ``2^{10}``, so a whole number literal is taken), or a signed unary."""
        tok = self.peek()
        if tok == ("sym", "{"):
            return self.group()
        if tok[0] == "num":
            self.i += 1
            return _number(tok[1])
        if tok[0] == "letter":
            self.i += 1
            return ("var", tok[1])
        return self.unary()

    def group(self) -> Node:
        self.expect("{")
        if self.accept("}"):
            raise Unparsed("empty group")
        node = self.listing()
        self.expect("}")
        return node

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            tok = self.peek()
            if tok == ("sym", "!"):
                self.i += 1
                node = ("fn", "factorial", (node,))
            elif tok == ("sym", "'"):
                self.i += 1
                if node[0] != "var":
                    raise Unparsed("prime on a non-variable")
                node = ("var", node[1] + "'")
            elif tok == ("sym", "%") or tok == ("cmd", "\\%"):
                self.i += 1
                node = ("pct", node)
            else:
                return node

    def primary(self) -> Node:
        self.enter()
        try:
            return self._primary()
        finally:
            self.depth -= 1

    def _primary(self) -> Node:
        kind, text = self.take()
        if kind == "num":
            node = _number(text)
            # scientific notation: 1.5e3, 1.5E-3
            if self.peek()[0] == "letter" and self.peek()[1] in "eE" and self._sci_exponent() is not None:
                node = ("num", node[1] * Fraction(10) ** self._sci_exponent_take(), None)
            # a mixed number: 2\frac{1}{2}
            if self.peek() == ("cmd", "\\frac") and node[2] is None and self._frac_of_integers():
                frac = self.primary()
                return ("add", (node, frac))
            return node
        if kind == "letter":
            return self._subscripted(("var", text))
        if kind == "cmd":
            return self._command(text)
        if kind == "sym":
            if text == "(" or text == "[":
                return self._bracketed(text)
            if text == "{":
                self.i -= 1
                return self.group()
            if text == "|":
                inner = self.sum()
                self.expect("|")
                return ("fn", "abs", (inner,))
        if kind in ("text", "rm"):
            return self._text(text, kind)
        if kind == "word":
            if len(text) <= 3:  # AB, xy, abc: a product of single-letter variables
                return ("mul", tuple(("var", ch) for ch in text))
            return ("text", _normal_text(text))
        raise Unparsed(f"unexpected {text!r}")

    def _sci_exponent(self) -> int | None:
        nxt = self.peek(1)
        if nxt[0] == "num" and "." not in nxt[1]:
            return int(nxt[1]) if len(nxt[1]) <= 4 else None
        if nxt in (("sym", "-"), ("sym", "+")) and self.peek(2)[0] == "num" and "." not in self.peek(2)[1]:
            return int(self.peek(2)[1]) if len(self.peek(2)[1]) <= 4 else None
        return None

    def _sci_exponent_take(self) -> int:
        self.i += 1  # the e
        sign = 1
        if self.peek() in (("sym", "-"), ("sym", "+")):
            sign = -1 if self.take()[1] == "-" else 1
        return sign * int(self.take()[1])

    def _frac_of_integers(self) -> bool:
        t = self.t[self.i : self.i + 7]
        shape = [tok[0] if tok[0] == "num" else tok[1] for tok in t]
        if shape[:2] == ["\\frac", "num"] and len(t[1][1]) == 2 and t[1][1].isdigit():
            return True  # 3\frac34
        ok = shape == ["\\frac", "{", "num", "}", "{", "num", "}"]
        return ok and "." not in t[2][1] and "." not in t[5][1]

    def _subscripted(self, node: Node) -> Node:
        if self.peek() == ("sym", "_"):
            self.i += 1
            tok = self.peek()
            if tok == ("sym", "{"):
                self.i += 1
                parts = []
                while self.peek()[1] != "}":
                    k, t = self.take()
                    if k == "end":
                        raise Unparsed("unclosed subscript")
                    parts.append(t)
                self.i += 1
                sub = "".join(parts)
            else:
                sub = self.take()[1]
            return ("var", f"{node[1]}_{sub}")
        return node

    def _bracketed(self, opener: str) -> Node:
        if self.peek()[1] in (")", "]") and self.peek()[0] == "sym":
            raise Unparsed("empty brackets")
        node = self.listing()
        closer = self.take()
        if closer[0] != "sym" or closer[1] not in (")", "]"):
            raise Unparsed("unclosed bracket")
        items = list(node[1]) if node[0] == "list" else [node]
        if len(items) == 1 and (opener, closer[1]) == ("(", ")"):
            return items[0]  # plain grouping
        if len(items) == 1 and (opener, closer[1]) == ("[", "]") and items[0][0] != "list":
            return items[0]  # [x] as grouping
        return ("seq", tuple(items), opener, closer[1])

    def _text(self, content: str, kind: str) -> Node:
        inner = content.strip()
        if not inner:
            raise Unparsed("empty text")
        # \text{5} or \mathrm{e}: parse the content
        if kind == "rm" and re.fullmatch(r"[A-Za-z]", inner):
            return ("const", "e") if inner == "e" else ("const", "i") if inner == "i" else ("var", inner)
        if re.fullmatch(r"[\d.,\s\-+/]+", inner):
            return parse(inner)
        return ("text", _normal_text(inner))

    def _command(self, name: str) -> Node:
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if name in _GREEK:
            return self._subscripted(("var", name[1:]))
        if name == "\\frac":
            num = self._argument()
            den = self._argument()
            return ("div", num, den)
        if name == "\\binom":
            return ("fn", "binom", (self._argument(), self._argument()))
        if name == "\\sqrt":
            index = None
            if self.peek() == ("sym", "["):
                self.i += 1
                index = self.sum()
                self.expect("]")
            arg = self._argument()
            return ("fn", "sqrt", (arg,)) if index is None else ("pow", arg, ("div", ("num", Fraction(1), None), index))
        if name in _FUNCTIONS:
            return self._function(name[1:])
        if name == "\\{":
            if self.accept("\\}"):
                return ("set", ())
            node = self.listing()
            self.expect("\\}")
            return ("set", tuple(node[1]) if node[0] == "list" else (node,))
        if name == "\\emptyset" or name == "\\varnothing":
            return ("set", ())
        if name in ("\\lfloor", "\\lceil"):
            inner = self.sum()
            self.expect("\\rfloor" if name == "\\lfloor" else "\\rceil")
            return ("fn", "floor" if name == "\\lfloor" else "ceil", (inner,))
        if name == "\\begin":
            return self._matrix()
        if name in ("\\%",):
            raise Unparsed("stray percent")
        raise Unparsed(f"unknown command {name}")

    def _argument(self) -> Node:
        """A TeX macro argument: a braced group or one token (``\\frac12``, ``\\sqrt3``)."""
        tok = self.peek()
        if tok == ("sym", "{"):
            return self.group()
        if tok[0] == "num":
            self.i += 1
            digits = tok[1]
            if len(digits) > 1 and "." not in digits:  # \frac12 -> \frac{1}{2}: one digit only
                self.t[self.i - 1 : self.i] = [("num", digits[0]), ("num", digits[1:])]
                return _number(digits[0])
            return _number(digits)
        if tok[0] == "letter":
            self.i += 1
            return ("var", tok[1])
        if tok[0] == "cmd":
            return self.primary()
        raise Unparsed("missing argument")

    def _function(self, name: str) -> Node:
        base: Node | None = None
        power: Node | None = None
        if name == "log" and self.peek() == ("sym", "_"):
            self.i += 1
            base = self._argument()
        if self.peek() in (("sym", "^"),):
            self.i += 1
            power = self.exponent()
        tok = self.peek()
        if tok == ("sym", "("):
            self.i += 1
            arg = self.sum()
            self.expect(")")
        elif tok == ("sym", "{"):
            arg = self.group()
        else:
            # \sin x, \sin 2x, \ln 2: implicit product of simple factors
            factors = [self.power()]
            while self.peek()[0] in ("num", "letter") or self.peek()[1] in _CONSTANTS or self.peek()[1] in _GREEK:
                factors.append(self.power())
            arg = factors[0] if len(factors) == 1 else ("mul", tuple(factors))
        if name == "lg":
            base = ("num", Fraction(10), None)
            name = "log"
        node: Node = ("fn", name, (arg,) if base is None else (arg, base))
        if power is not None:
            if power == ("neg", ("num", Fraction(1), None)) and name in ("sin", "cos", "tan"):
                return ("fn", "arc" + name, (arg,))
            node = ("pow", node, power)
        return node

    def _matrix(self) -> Node:
        self.expect("{")
        env = self.take()[1]
        self.expect("}")
        if env not in ("pmatrix", "bmatrix", "matrix", "array", "Bmatrix", "smallmatrix", "vmatrix"):
            raise Unparsed(f"environment {env}")
        if env == "array" and self.peek() == ("sym", "{"):  # column spec
            while self.take()[1] != "}":
                if self.peek()[0] == "end":
                    raise Unparsed("unclosed array spec")
        rows: list[tuple[Node, ...]] = []
        row: list[Node] = []
        while True:
            if self.peek() == ("cmd", "\\end"):
                self.i += 1
                self.expect("{")
                self.take()
                self.expect("}")
                break
            if self.peek()[0] == "end":
                raise Unparsed("unclosed matrix")
            row.append(self.sum())
            if self.accept("&"):
                continue
            if self.accept("\\\\"):
                rows.append(tuple(row))
                row = []
        if row:
            rows.append(tuple(row))
        if not rows or len({len(r) for r in rows}) != 1:
            raise Unparsed("ragged matrix")
        if env == "vmatrix":
            return _determinant(rows)
        return ("matrix", tuple(rows))


def _determinant(rows: list[tuple[Node, ...]]) -> Node:
    """A ``vmatrix`` as the tree of its determinant (Laplace expansion, up to 3 x 3)."""
    n = len(rows)
    if n != len(rows[0]) or n > 3:
        raise Unparsed("determinant larger than 3 x 3")
    if n == 1:
        return rows[0][0]
    terms: list[Node] = []
    for j in range(n):
        minor = [tuple(x for k, x in enumerate(row) if k != j) for row in rows[1:]]
        term: Node = ("mul", (rows[0][j], _determinant(minor)))
        terms.append(term if j % 2 == 0 else ("neg", term))
    return ("add", tuple(terms))


def _normal_text(text: str) -> str:
    words = re.sub(r"[^\w\s']", " ", text.lower()).split()
    return " ".join(words)


def _number(digits: str) -> Node:
    if len(digits) > MAX_DIGITS:
        raise Unparsed("number too long")
    if "." in digits:
        whole, _, frac = digits.partition(".")
        if not frac:
            return ("num", Fraction(int(whole)), None)
        return ("num", Fraction(int(whole or "0")) + Fraction(int(frac), 10 ** len(frac)), len(frac))
    return ("num", Fraction(int(digits)), None)


# Thousands separators: "1,000,000" and "1\,000" (after prepare: "1 000") join into one number,
# but only in their strict form, so "1,2" stays a list.
_THOUSANDS = re.compile(r"(?<![\d.(\[])([1-9]\d{0,2})((?:(?:,|\{,\}|\\,| )\d{3})+)(?![\d)\]])")
_SEPARATOR = re.compile(r",|\{,\}|\\,| ")
# A trailing unit: 5 cm, 5\text{ cm}, 12 \mathrm{m}^2, 30 dollars
_UNIT_TAIL = re.compile(
    r"(?<=[\d}\s])\s*(?:\\(?:text|mathrm)\{\s*[A-Za-z/ .]+\}|(?:" + "|".join(sorted(_UNITS, key=len, reverse=True))
    + r")\b\.?)(?:\^\{?\d\}?)?\s*$"
)
_ENVIRONMENTS = {"pmatrix", "bmatrix", "matrix", "array", "Bmatrix", "smallmatrix", "vmatrix", "cases", "aligned"}
_WORD_UNIT_TAIL = re.compile(r"(?<=\d)\s+[a-z]{3,}(?:\s+[a-z]{3,})?$")  # 12 bananas, 3 red apples
_CJK_TAIL = re.compile(r"(?<=[\d}])\s*[\u3040-\u30ff\u4e00-\u9fff]+$")  # 26厘米, 5个
_CURRENCY = re.compile(r"^(-?)\s*(?:\\\$|\$|€|£|¥|₹|USD\s*|Rs\.?\s*)\s*(?=[\d.])")


_DENOMINATORS = {
    "half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fourth": 4, "fourths": 4,
    "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6, "seventh": 7, "sevenths": 7, "eighth": 8, "eighths": 8,
    "ninth": 9, "ninths": 9, "tenth": 10, "tenths": 10,
}
_FRACTION_WORDS = re.compile(r"([a-z][a-z\s\-]*?)[\s\-]+(" + "|".join(_DENOMINATORS) + r")")
_PLAIN_MIXED = re.compile(r"(-?)(\d+)\s+(\d+)\s*/\s*(\d+)")
_TIME = re.compile(r"\d{1,2}:\d{2}")
_CHOICE = re.compile(r"\\text\{\s*\(([A-Ea-e])\)\s*\}\s*(.*)|\(([A-E])\)\s+(.+)")
_DEGREE_MARK = re.compile(r"\\circ|°|\\degree")
_DECIMAL_COMMA = re.compile(r"(-?)(\d+)(?:,|\{,\})(\d+)")


def strip_thousands(s: str) -> str:
    """``7,425,000`` → ``7425000`` (strict groups of three only; ``1,2`` is a list).

    >>> strip_thousands("7,425,000 and 1,2"), strip_thousands("1{,}000")
    ('7425000 and 1,2', '1000')
    """
    def join(m: re.Match[str]) -> str:
        return m.group(1) + _SEPARATOR.sub("", m.group(2))

    if "," not in s and "{,}" not in s and " " not in s:
        return s
    # A list of plain integers such as "1, 234, 567" is ambiguous; only join without spaces
    # after a comma ("1,234") or with a thin space, so "1, 234" stays a list.
    return _THOUSANDS.sub(lambda m: m.group(0) if ", " in m.group(0) else join(m), s)


def unit_of(text: str) -> str | None:
    """The unit written after a number at the end of an answer (``5 \\text{ cm}`` → ``cm``).

    >>> unit_of(r"5 \\text{ cm}"), unit_of("12 apples"), unit_of("7")
    ('cm', 'apples', None)
    """
    m = _UNIT_TAIL.search(prepare(text))
    if m is None:
        return None
    unit = re.sub(r"\\(?:text|mathrm)\{|\}|\^\{?\d\}?|\s|\.$", "", m.group(0))
    return unit or None


def parse(text: str) -> Node:
    """Parse an answer into a tree (see the module docstring), or raise :class:`Unparsed`.

    Args:
        text: An extracted answer (LaTeX or plain text).

    Returns:
        The tree.

    Raises:
        Unparsed: the answer is empty, too long, or outside the subset.

    >>> parse("7,425,000")
    ('num', Fraction(7425000, 1), None)
    >>> parse(r"2\\frac{1}{2}")[0], parse("(1, 2]")[0], parse("forty two")
    ('add', 'seq', ('num', Fraction(42, 1), None))
    """
    if len(text) > MAX_CHARS:
        raise Unparsed("too long")
    s = prepare(text)
    if not s:
        raise Unparsed("empty")
    choice = _CHOICE.fullmatch(s)
    if choice and (choice.group(2) or choice.group(4) or "").strip():  # \textbf{(C) } 12: a label and its value
        letter, value = choice.group(1) or choice.group(3), choice.group(2) or choice.group(4)
        return ("choice", letter.upper(), parse(value))
    if _DEGREE_MARK.search(text) and not _TRIG.search(text):
        return ("deg", _parse_prepared(s))
    return _parse_prepared(s)


def _parse_prepared(s: str) -> Node:
    s = _CURRENCY.sub(r"\1", s)
    s = strip_thousands(s)
    s = _UNIT_TAIL.sub("", s).strip() or s
    s = _CJK_TAIL.sub("", s).strip() or s
    s = _WORD_UNIT_TAIL.sub("", s).strip() or s
    if _TIME.fullmatch(s):
        return ("text", s)  # 12:00 is a time, not a ratio
    m = _DECIMAL_COMMA.fullmatch(s.replace(" ", ""))
    decimals, whole = m.group(3) if m else "", m.group(2) if m else ""
    if m and (("{,}" in s and len(decimals) != 3) or len(decimals) == 2 or whole[0] == "0" or len(whole) > 3):
        s = f"{m.group(1)}{m.group(2)}.{m.group(3)}"  # 1,22 and 0,111 and 1000,99: a decimal comma
    words = words_to_number(s) if re.fullmatch(r"[A-Za-z\s\-]+", s) else None
    if words is not None:
        return ("num", Fraction(words), None)
    mixed = _PLAIN_MIXED.fullmatch(s)
    if mixed and 0 < int(mixed.group(3)) < int(mixed.group(4)):  # 1 3/8: a mixed number in plain text
        value = int(mixed.group(2)) + Fraction(int(mixed.group(3)), int(mixed.group(4)))
        return ("num", -value if mixed.group(1) else value, None)
    fraction = _FRACTION_WORDS.fullmatch(s.lower())
    if fraction and words_to_number(fraction.group(1)) is not None:  # two thirds, one half
        return ("num", Fraction(words_to_number(fraction.group(1)) or 0, _DENOMINATORS[fraction.group(2)]), None)
    prose = re.fullmatch(r"[A-Za-z][A-Za-z\s'\-]*[A-Za-z]", s) and re.search(r"[A-Za-z]{3,}", s)
    if prose and s.lower() not in _WORD_COMMANDS:
        return ("text", _normal_text(s))  # prose answers ("east", "no solution") are text
    tokens = _tokens(s)
    prose_words = [t for k, t in tokens if k == "word" and len(t) >= 3 and not t.isupper() and t not in _ENVIRONMENTS]
    if len(tokens) > 1 and prose_words:
        raise Unparsed("prose around the answer")  # "The sum is 5050": not a product of letters
    try:
        node = _Parser(tokens).top()
    except RecursionError:
        raise Unparsed("nested too deeply") from None
    if node[0] == "text" and words_to_number(node[1]) is not None:
        return ("num", Fraction(words_to_number(node[1]) or 0), None)
    return node
