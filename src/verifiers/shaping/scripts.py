"""Split text by Unicode script, and strip what belongs to no language (math, code, URLs, numbers).

The language-consistency reward (:mod:`verifiers.shaping.language`) decides most of a text's
language from the script its letters are written in: Han, kana, Hangul, Cyrillic, Arabic,
Devanagari, Greek, Thai ... need no model. This module holds the script table (which letters
belong to which script, which languages write with it, how its text is counted) and the two
text passes done before any counting:

* :func:`strip_neutral` removes fenced and inline code, LaTeX (``$...$``, ``$$...$$``,
  ``\\[...\\]``, ``\\(...\\)``, ``\\begin{env}...\\end{env}``, bare ``\\commands``), URLs and
  XML/HTML tags. Digits and symbols need no stripping: they are not letters, so no script counts them.
* :func:`script_words` lists the words of one script (runs of its letters) in a text.

Every pattern here is linear in the text: bounded repetitions, no backreferences.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache

__all__ = [
    "NO_SPACE",
    "SCRIPTS",
    "SENTENCE_END",
    "Script",
    "has_non_latin",
    "latin_counts",
    "non_latin_runs",
    "script",
    "script_chunks",
    "script_of",
    "script_words",
    "scripts_of_language",
    "strip_neutral",
]


@dataclass(frozen=True)
class Script:
    """One writing system.

    Args:
        name: Script name (Unicode's, e.g. ``"Latin"``, ``"Han"``).
        letters: The body of a regex character class (no brackets) matching its letters.
        languages: ISO 639-1 codes of the languages written in it, most common first.
        per_char: Count characters instead of words (scripts written without spaces: Han, kana,
            Thai, ...). The count of a per-char script is ``characters * char_weight``.
        char_weight: Units per character for per-char scripts (a rough syllable or word proxy).
        min_word: Shorter words are not counted (1-letter Latin and Greek words are mostly
            variables such as ``x`` or ``θ``, not language).

    >>> script("Hangul").languages, script("Han").per_char
    (('ko',), True)
    """

    name: str
    letters: str
    languages: tuple[str, ...]
    per_char: bool = False
    char_weight: float = 1.0
    min_word: int = 1


_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff\u0300-\u036f"

_LATIN_CODES = "en fr de es it pt nl sv da no pl cs sk sl hr sr ro hu fi et lt lv tr az uz id ms vi tl sw so af"
_LATIN_CODES += " ca eu gl cy ga is mt sq la"
_LATIN_LANGUAGES = tuple(_LATIN_CODES.split())

#: Every script we recognise. Letters of any other script are ignored (neither counted nor foreign).
SCRIPTS: tuple[Script, ...] = (
    Script(
        "Latin",
        _LATIN,
        _LATIN_LANGUAGES,
        min_word=2,
    ),
    Script("Greek", "\u0370-\u0373\u0376-\u037d\u037f-\u03ff\u1f00-\u1fff", ("el",), min_word=2),
    Script("Cyrillic", "\u0400-\u0482\u048a-\u052f", ("ru", "uk", "bg", "sr", "mk", "be", "kk", "ky", "mn", "tg")),
    Script("Armenian", "\u0531-\u0556\u0561-\u0587", ("hy",)),
    Script("Hebrew", "\u05b0-\u05f2", ("he", "yi")),
    Script(
        "Arabic",
        "\u0620-\u065f\u066e-\u06d3\u06d5-\u06ef\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff",
        ("ar", "fa", "ur", "ps", "ug", "sd"),
    ),
    Script("Devanagari", "\u0900-\u0963\u0971-\u097f", ("hi", "mr", "ne", "sa")),
    Script("Bengali", "\u0980-\u09e3\u09f0-\u09f1", ("bn", "as")),
    Script("Gurmukhi", "\u0a00-\u0a65\u0a70-\u0a7f", ("pa",)),
    Script("Gujarati", "\u0a80-\u0ae5\u0af0-\u0aff", ("gu",)),
    Script("Oriya", "\u0b00-\u0b65\u0b70-\u0b7f", ("or",)),
    Script("Tamil", "\u0b80-\u0be5\u0bf0-\u0bff", ("ta",)),
    Script("Telugu", "\u0c00-\u0c65\u0c70-\u0c7f", ("te",)),
    Script("Kannada", "\u0c80-\u0ce5\u0cf0-\u0cff", ("kn",)),
    Script("Malayalam", "\u0d00-\u0d65\u0d70-\u0d7f", ("ml",)),
    Script("Sinhala", "\u0d80-\u0de5\u0df0-\u0dff", ("si",)),
    Script("Thai", "\u0e01-\u0e4e", ("th",), per_char=True, char_weight=1 / 3),
    Script("Lao", "\u0e80-\u0ecf", ("lo",), per_char=True, char_weight=1 / 3),
    Script("Tibetan", "\u0f40-\u0fbc", ("bo",), per_char=True, char_weight=1 / 3),
    Script("Myanmar", "\u1000-\u103f\u1050-\u109f", ("my",), per_char=True, char_weight=1 / 3),
    Script("Georgian", "\u10a0-\u10ff\u1c90-\u1cbf", ("ka",)),
    Script("Hangul", "\u1100-\u11ff\u3131-\u318e\uac00-\ud7af", ("ko",)),
    Script("Ethiopic", "\u1200-\u137c", ("am", "ti")),
    Script("Khmer", "\u1780-\u17dd", ("km",), per_char=True, char_weight=1 / 3),
    Script("Kana", "\u3041-\u309f\u30a0-\u30fa\u30fc-\u30ff\u31f0-\u31ff", ("ja",), per_char=True),
    Script(
        "Han",
        "\u3005\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f",
        ("zh", "ja"),
        per_char=True,
    ),
)

_BY_NAME = {s.name: s for s in SCRIPTS}

#: Characters that stand alone in text written without spaces: the letters of every per-char
#: script above (Han, kana, Thai, Lao, Tibetan, Myanmar, Khmer), plus the punctuation and
#: symbols written with them (CJK radicals, CJK punctuation, Bopomofo, the katakana middle dot,
#: full-width forms). The body of a regex character class; the one table of such scripts
#: (the repetition penalty splits text on it).
NO_SPACE = "".join(s.letters for s in SCRIPTS if s.per_char) + (
    "\u2e80-\u2fdf\u3001-\u303f\u30fb\u3100-\u312f\u31a0-\u31bf\uff01-\uff9f"
)
_NON_LATIN = "".join(s.letters for s in SCRIPTS if s.name != "Latin")
_ANY_NON_LATIN = re.compile(f"[{_NON_LATIN}]")
_SCRIPT_RUN = re.compile(
    "|".join(f"(?P<{s.name}>[{s.letters}]+)" for s in SCRIPTS if s.name not in ("Latin", "Han", "Kana"))
)

#: Where a sentence ends: a stretch of one language never crosses one of these.
SENTENCE_END = "\n.!?;:\u3002\uff01\uff1f\uff1b\uff1a\u2026"

# -- stripping -------------------------------------------------------------------------------------

_STRIP = re.compile(
    "|".join(
        (
            r"```.*?(?:```|\Z)",  # fenced code (an unclosed fence runs to the end)
            r"~~~.*?(?:~~~|\Z)",
            r"\$\$.{0,20000}?\$\$",  # display math
            r"\\\[.{0,20000}?\\\]",
            r"\\\(.{0,5000}?\\\)",
            r"\\begin\{[^{}\n]{0,40}\}.{0,20000}?\\end\{[^{}\n]{0,40}\}",
            r"\$[^$\n]{1,2000}\$",  # inline math
            r"`[^`\n]{1,2000}`",  # inline code
            r"(?:https?|ftp)://[^\s<>\"')\]]+",
            r"www\.[^\s<>\"')\]]+",
            r"\\[A-Za-z]+\*?",  # a bare LaTeX command such as \frac or \times
            r"</?[A-Za-z][\w:-]{0,40}(?:\s[^<>]{0,200})?/?>",  # XML/HTML tags such as <answer>
        )
    ),
    re.DOTALL,
)
_TRIGGERS = ("`", "~~~", "$", "\\", "://", "www.", "<")


def strip_neutral(text: str) -> str:
    """``text`` with code, math, URLs and tags replaced by spaces, NFKC-normalised.

    NFKC folds full-width Latin letters (``ＡＢＣ``) and half-width kana into their usual forms.

    Args:
        text: Any text.

    Returns:
        The text with no code, math, URLs or markup (each removed span becomes one space).

    >>> strip_neutral("We get $x^2 = 4$, see `f(x)` at https://a.b/c and \\\\frac{1}{2}.")
    'We get  , see   at   and  {1}{2}.'
    >>> strip_neutral("Ｈｅｌｌｏ ```python\\nprint(1)\\n``` done")
    'Hello   done'
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    if any(t in text for t in _TRIGGERS):
        text = _STRIP.sub(" ", text)
    return text


# -- scripts ----------------------------------------------------------------------------------------


def scripts_of_language(code: str) -> tuple[str, ...]:
    """The names of the scripts a language is written in (empty for an unknown code).

    Args:
        code: An ISO 639-1 code, lower case.

    Returns:
        Script names, e.g. ``("Kana", "Han")`` for ``"ja"``.

    >>> scripts_of_language("ja"), scripts_of_language("sr"), scripts_of_language("xx")
    (('Kana', 'Han'), ('Latin', 'Cyrillic'), ())
    """
    return _LANG_SCRIPTS.get(code, ())


def _lang_scripts() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for script in SCRIPTS:
        for code in script.languages:
            table.setdefault(code, []).append(script.name)
    return {k: tuple(v) for k, v in table.items()}


_LANG_SCRIPTS = _lang_scripts()


def script_of(char: str) -> str | None:
    """The name of the script a letter belongs to, or ``None`` for anything else.

    >>> script_of("a"), script_of("я"), script_of("中"), script_of("か"), script_of("7")
    ('Latin', 'Cyrillic', 'Han', 'Kana', None)
    """
    for script in SCRIPTS:
        if _char_class(script.name).match(char):
            return script.name
    return None


@cache
def _char_class(name: str) -> re.Pattern[str]:
    return re.compile(f"[{_BY_NAME[name].letters}]")


@cache
def _word_pattern(name: str) -> re.Pattern[str]:
    letters = _BY_NAME[name].letters
    if name == "Latin":
        # a word glued to a digit or underscore is an identifier (x2, 3rd, n_max), not a word
        return re.compile(f"(?<![0-9_{letters}])[{letters}]+(?:['\u2019][{letters}]+)*(?![0-9_{letters}])")
    return re.compile(f"[{letters}]+")


@cache
def _chunk_splitter(name: str) -> re.Pattern[str]:
    others = "".join(s.letters for s in SCRIPTS if s.name != name)
    return re.compile(f"[{SENTENCE_END}]|[{others}]+")


def script_words(text: str, name: str) -> list[str]:
    """The words of script ``name`` in ``text`` (for per-char scripts: runs of its letters).

    Words shorter than the script's ``min_word`` are left out. Run on stripped text
    (:func:`strip_neutral`).

    Args:
        text: The text.
        name: A script name from :data:`SCRIPTS`.

    Returns:
        The words, in order.

    >>> script_words("Let x2 be the 3rd value, l'idée de x.", "Latin")
    ['Let', 'be', 'the', 'value', "l'idée", 'de']
    >>> script_words("答案是 42 吗", "Han")
    ['答案是', '吗']
    """
    words = _word_pattern(name).findall(text)
    if _BY_NAME[name].min_word > 1:
        words = [w for w in words if len(w) >= _BY_NAME[name].min_word]
    return words


def _ascii_table() -> bytes:
    table = bytearray(b" " * 256)
    for c in range(ord("a"), ord("z") + 1):
        table[c] = c
        table[c - 32] = c  # upper case to lower case
    for c in b"0123456789_":
        table[c] = ord("0")  # a marker: a token holding it is an identifier, not a word
    table[ord("'")] = ord("'")
    return bytes(table)


_ASCII_TABLE = _ascii_table()
_NON_ASCII_LATIN = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff\u0300-\u036f]")


def latin_counts(text: str) -> Counter[str]:
    """How often each Latin-script word occurs in ``text``, lower-cased (same words as
    :func:`script_words`).

    Text whose Latin letters are all ASCII (most English, and Chinese with English terms in it)
    takes a fast path: one byte-table translation and a split, no regex.

    >>> sorted(latin_counts("The cat, the DOG's x2 ball; 猫 café").items())
    [('ball', 1), ('café', 1), ('cat', 1), ("dog's", 1), ('the', 2)]
    """
    if text.isascii() or not _NON_ASCII_LATIN.search(text):
        flat = text.replace("\u2019", "'").encode("ascii", "replace").translate(_ASCII_TABLE).decode("ascii")
        raw = Counter(flat.split())
        out = Counter({k: n for k, n in raw.items() if k.isalpha() and len(k) >= 2})
        for key in [k for k in raw if "'" in k and "0" not in k]:  # strip the outer apostrophes
            word = key.strip("'")
            if len(word) >= 2 and word.replace("'", "").isalpha():
                out[word] += raw[key]
        return out
    return Counter(script_words(text.lower().replace("\u2019", "'"), "Latin"))


def script_chunks(text: str, name: str) -> list[list[str]]:
    """The words of script ``name`` grouped into stretches: a stretch ends at a sentence end or
    at a letter of another script.

    >>> script_chunks("This is English. 这是中文 and this is too", "Latin")
    [['This', 'is', 'English'], ['and', 'this', 'is', 'too']]
    """
    chunks = []
    for part in _chunk_splitter(name).split(text):
        words = script_words(part, name) if part else []
        if words:
            chunks.append(words)
    return chunks


def has_non_latin(text: str) -> bool:
    """Whether ``text`` holds a letter of any script but Latin.

    >>> has_non_latin("café"), has_non_latin("日本")
    (False, True)
    """
    return not text.isascii() and _ANY_NON_LATIN.search(text) is not None


def non_latin_runs(text: str) -> dict[str, list[str]]:
    """Runs of letters of each non-Latin script in ``text``, by script name.

    >>> non_latin_runs("Итак, 答案 是 4 です")
    {'Han': ['答案', '是'], 'Kana': ['です'], 'Cyrillic': ['Итак']}
    """
    runs: dict[str, list[str]] = {}
    for name in ("Han", "Kana"):  # the common ones: one plain character class each
        found = _run_pattern(name).findall(text)
        if found:
            runs[name] = found
    for chunk in _OTHER_RUN.findall(text):  # the rest (rare): split a run by script
        for match in _SCRIPT_RUN.finditer(chunk):
            runs.setdefault(match.lastgroup or "", []).append(match.group())
    return runs


@cache
def _run_pattern(name: str) -> re.Pattern[str]:
    return re.compile(f"[{_BY_NAME[name].letters}]+")


_OTHER_RUN = re.compile("[" + "".join(s.letters for s in SCRIPTS if s.name not in ("Latin", "Han", "Kana")) + "]+")


def script(name: str) -> Script:
    """The :class:`Script` named ``name``.

    >>> script("Han").per_char
    True
    """
    return _BY_NAME[name]
