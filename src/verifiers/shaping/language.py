"""``language_consistency_reward``: the share of the chain of thought written in the target language.

DeepSeek-AI 2025, *DeepSeek-R1* (arXiv:2501.12948), §2.3.4: to curb language mixing in the
CoT, a language-consistency reward "calculated as the proportion of target language words in
the CoT". Ours, with ``r = target units / all units`` over the CoT::

    reward = low + (high - low) * r

**Units.** Words for scripts written with spaces (Latin, Cyrillic, Greek, Arabic, Hangul,
Devanagari, ...); characters for Han and kana (a Chinese character is a morpheme, the usual
proxy for a word); a third of a character for Thai, Lao, Khmer, Myanmar and Tibetan. One-letter
Latin and Greek words (``x``, ``a``, ``θ``), digits, symbols and emoji are not counted.

**Pipeline** (per row; no model for most of it):

1. the CoT: the content of ``<think>...</think>`` (or the text before a lone ``</think>`` when
   the prompt pre-filled ``<think>``, or after a lone ``<think>`` when the completion was cut);
2. :func:`verifiers.shaping.scripts.strip_neutral` removes code, LaTeX, URLs and tags;
3. words are split by Unicode script. A script the target language is not written in is
   foreign; a script only the target language uses (kana for ``ja``, Hangul for ``ko``) is
   the target. Only a script the target shares with other languages needs more:
4. Han (``zh`` vs ``ja``): a sentence with kana is Japanese, one without is Chinese;
5. Latin, Cyrillic, ... (``en`` vs ``fr`` ...): exclusive function words first (a built-in,
   deterministic list per language); a stretch of :attr:`LanguageConfig.min_words` words or more
   without clear evidence goes to the detector (langdetect, seeded, cached); shorter stretches
   without evidence take the majority language of the decided ones (or the target, if none).

The detector is pluggable (:class:`Detector`: ``detect(text) -> str | None``). Results are
deterministic: the same text gives the same reward in any call, thread or process.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, Protocol, runtime_checkable

from verifiers.base import RewardConfig, RowReward
from verifiers.errors import ConfigError
from verifiers.extract.tags import think_content
from verifiers.shaping import scripts as _scripts
from verifiers.types import Status, Verdict

__all__ = [
    "Detector",
    "LangdetectDetector",
    "LanguageConfig",
    "LanguageConsistency",
    "NoDetector",
    "grade_language",
    "language_consistency_reward",
    "language_units",
    "normalize_code",
]

CotScope = Literal["auto", "think", "completion"]
_SCOPES = ("auto", "think", "completion")

# -- detectors ----------------------------------------------------------------------------------


@runtime_checkable
class Detector(Protocol):
    """A language identifier for one stretch of text (words of one script, already cleaned).

    ``detect`` returns an ISO 639-1 code (a region suffix such as ``zh-cn`` is fine) or ``None``
    when it cannot tell. It must be deterministic, thread-safe and hashable (results are cached
    by ``(detector, text)``); give it a stable ``__repr__``, which goes into the signature.

    >>> isinstance(NoDetector(), Detector), isinstance("langdetect", Detector)
    (True, False)
    """

    def detect(self, text: str) -> str | None:
        """The language code of ``text``, or ``None``."""
        ...


class LangdetectDetector:
    """langdetect 1.0.9 with its own seeded factory: the same answer on every call.

    langdetect's module-level ``detect`` samples n-grams with an unseeded RNG, so its answer can
    change between calls; this one seeds every call (without touching langdetect's global
    ``DetectorFactory.seed``). The profiles are loaded once, on first use.

    Args:
        seed: The RNG seed of every detection.

    >>> LangdetectDetector().detect("the cat sat on the mat and looked at the dog")
    'en'
    """

    _factory: Any = None
    _lock = threading.Lock()

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    @classmethod
    def _get_factory(cls) -> Any:
        if cls._factory is None:
            with cls._lock:
                if cls._factory is None:
                    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

                    factory = DetectorFactory()
                    factory.load_profile(PROFILES_DIRECTORY)
                    cls._factory = factory
        return cls._factory

    def detect(self, text: str) -> str | None:
        """The language of ``text`` (``None`` when langdetect finds no features)."""
        from langdetect.lang_detect_exception import LangDetectException

        detector = self._get_factory().create()
        detector.seed = self.seed
        detector.append(text)
        try:
            return str(detector.detect())
        except LangDetectException:
            return None

    def __repr__(self) -> str:
        return "langdetect" if self.seed == 0 else f"langdetect(seed={self.seed})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.seed == self.seed  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.seed))


class NoDetector:
    """Never detects: stretches without function-word evidence take the majority language.

    The fastest choice (no model at all); use it when the CoT languages are far apart in script
    (e.g. ``en`` vs ``zh``), where the detector is never needed anyway.

    >>> NoDetector().detect("bonjour tout le monde") is None
    True
    """

    def detect(self, text: str) -> str | None:
        """Always ``None``."""
        return None

    def __repr__(self) -> str:
        return "none"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))


_DETECTORS: dict[str, Detector] = {"langdetect": LangdetectDetector(), "none": NoDetector()}


def _resolve_detector(spec: str | Detector) -> Detector:
    if isinstance(spec, str):
        try:
            return _DETECTORS[spec]
        except KeyError:
            raise ConfigError(f"unknown detector {spec!r}; known: {', '.join(sorted(_DETECTORS))}") from None
    if not isinstance(spec, Detector):
        raise ConfigError(f"detector must be a name or have a detect(text) method, not {spec!r}")
    return spec


@lru_cache(maxsize=1 << 16)
def _detect_cached(detector: Detector, text: str) -> str | None:
    try:
        code = detector.detect(text)
    except Exception:  # a third-party detector choking on model output is not the model's fault
        return None
    return normalize_code(code) if code else None


# -- language codes --------------------------------------------------------------------------------


def normalize_code(code: Any) -> str | None:
    """An ISO 639-1 code in lower case without region (``"zh-CN"`` -> ``"zh"``), or ``None``.

    Args:
        code: A language tag such as ``"en"``, ``"EN"``, ``"en_US"``, ``"zh-cn"``.

    Returns:
        The two-letter code, or ``None`` when ``code`` is not a string of that shape.

    >>> normalize_code("zh-CN"), normalize_code(" EN_us "), normalize_code("english"), normalize_code(3)
    ('zh', 'en', None, None)
    """
    if not isinstance(code, str):
        return None
    head = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return head if len(head) == 2 and head.isascii() and head.isalpha() else None


def _check_target(code: Any) -> str | None:
    target = normalize_code(code)
    return target if target is not None and _scripts.scripts_of_language(target) else None


# -- function words ------------------------------------------------------------------------------

# Frequent words per language, including the filler of reasoning traces ("wait", "okay"). A
# word listed for two languages counts for neither (see _STOPWORDS), so only exclusive evidence
# decides. Lower case; a word with an apostrophe is also looked up by its parts.
_WORDS = {
    "en": """the and to that this it with for which what are be been have has not but or if then
        they you he she there their these those from by at can could would should will let my our
        now wait need check find get because since therefore thus only when where how why each other
        than more some any all into about after before between such first next answer number equation
        value right maybe think actually hmm okay ok yes does did just like make know see take using
        step compute calculate both here one two three hence correct problem solve means while again
        plus on do no so also is of we as an in was over me its let's it's isn't don't we're that's
        given gives sure looks seems say another way same still""",
    "fr": """le la les des du un une et est sont dans pour pas que qui sur avec ce cette ces nous vous
        il elle ils on au aux mais ou donc alors si plus peut fait faire être avoir comme tout tous
        très aussi je ne se sa ses leur puis ainsi entre après avant même encore déjà où ça cela ceci
        notre votre mon ma mes vers chaque selon sans sous lorsque quand comment pourquoi parce
        nombre réponse équation calculer trouver vérifions calculons abord voici voilà faut donne
        qu l j c'est d'abord l'équation n'est""",
    "de": """der die das und ist nicht ein eine einen einer dem den des zu mit von für auf auch sich es
        wir ich sie er wird werden sind kann können muss noch nur oder aber wenn dann also so wie was
        hier jetzt dass da bei nach aus über unter durch zwischen diese dieser dieses haben hat war
        sein mal doch schon ob weil denn man zum zur im vom beim ergibt berechnen gleich lösung
        antwort zahl prüfen gilt also müssen wollen erst einmal nun""",
    "es": """el la los las de del y es en que por para con una un no se lo como pero más este esta
        estos esto ese eso son si sí ya entonces porque cuando donde hay tiene tenemos podemos puede
        debe sobre entre también muy hasta desde todo todos cada nos su sus mi al ser está están sea
        fue hacer número respuesta ecuación calcular luego así pues ahora vamos veamos primero
        solución dos tres""",
    "it": """il di che la per un una non sono con del della delle dei degli nel nella alla al lo gli le
        si ma se come anche più questo questa questi quello quella ci ne da dal dalla tra fra quindi
        allora perché poiché ora adesso essere ha hanno abbiamo possiamo dobbiamo può deve sia stato
        fare ogni tutti tutto molto dove quando cosa numero risposta equazione calcolare verifichiamo
        vediamo primo ancora già solo""",
    "pt": """os as um uma uns umas de do da dos das em no na nos nas que para por com não se mais mas
        como são está estão isso isto este esta esse essa ele ela eles elas nós você seu sua ao aos
        pelo pela então porque quando onde também já ainda muito cada todo todos tem temos podemos
        pode deve ser ter fazer número resposta equação calcular vamos agora primeiro solução
        portanto logo assim""",
    "nl": """de het een en van is dat die niet te zijn op voor met als er maar om aan ook bij dan of nog
        wel naar kan moet worden wordt door over deze dit wat we wij ik je hij zij ze hebben heeft
        was waren zo hier nu dus want omdat tussen getal antwoord vergelijking berekenen eerst laten
        geen uit tot""",
    "sv": """och att det som en är av för med till den har de inte om ett var jag på men kan så vi nu
        också eller när detta måste alltså svaret""",
    "da": """og er det at til på ikke med af for som den har jeg vi kan men så også eller hvis skal
        være bliver dette""",
    "pl": """na się nie jest to że do jak co ale są jako dla od po przez tak już oraz tylko więc można
        należy ten ta te który która które jeśli gdy czy bo teraz liczba odpowiedź równanie obliczyć""",
    "cs": """je to že na se do jako pro ale jsou by tak jak když nebo také už jen který která které
        tedy musíme můžeme číslo odpověď rovnice""",
    "tr": """ve bir bu için ile da de ne çok daha olarak olan ama gibi şimdi sonra kadar her şu ki mi
        değil var yok ise yani çünkü sayı cevap denklem hesapla""",
    "id": """yang dan di ini itu dengan untuk tidak dari dalam akan pada juga ke karena ada bisa kita
        kami saya adalah atau jadi maka sehingga jika kalau sudah belum harus lalu kemudian jawaban
        bilangan persamaan hitung mari""",
    "vi": """của và là có được không những các một này cho với trong người để khi thì ta chúng đó như
        từ vì nên đến cũng số bằng phương trình tính vậy ra đã sẽ rằng""",
    "ro": """și în este că sunt pe cu la un care pentru din nu se mai ca dar acest această avem putem
        deci atunci numărul răspuns ecuația""",
    "ru": """и в не на что это с как по но из у за от для так же то все его она он мы вы они есть был
        было быть если или когда только уже ещё еще можно нужно надо теперь значит поэтому потому
        чтобы число ответ уравнение получаем проверим найти давайте сначала который которые этот эта
        эти при до после между также тогда здесь""",
    "uk": """і й в у не на що це з як по але до для та від так ж ми ви вони він вона є був було бути
        якщо або коли тільки вже ще можна потрібно тепер отже тому щоб число відповідь рівняння
        отримуємо перевіримо знайти давайте спочатку який які цей ця ці при після між також тоді тут""",
    "bg": """и в не на че това с като по но от за да се са е ще има няма ако или когато само вече още
        можем трябва сега значи затова число отговор уравнение получаваме този тази тези при до след
        между също тогава тук ние вие те той тя""",
}


def _stopwords() -> dict[str, str]:
    seen: dict[str, set[str]] = {}
    for lang, words in _WORDS.items():
        for word in words.split():
            seen.setdefault(word, set()).add(lang)
    return {word: next(iter(langs)) for word, langs in seen.items() if len(langs) == 1}


#: word -> the one language it is a frequent word of (words shared by two lists are dropped).
_STOPWORDS = _stopwords()


def _hits(words: Mapping[str, int] | list[str]) -> Counter[str]:
    """Function-word evidence: how many of ``words`` (lower case) are exclusive to each language."""
    counts = words if isinstance(words, Mapping) else Counter(words)
    hits: Counter[str] = Counter()
    for key, n in counts.items():
        lang = _STOPWORDS.get(key)
        if lang is None and ("'" in key or "\u2019" in key):
            for part in key.replace("\u2019", "'").split("'"):
                lang = _STOPWORDS.get(part)
                if lang is not None:
                    break
        if lang is not None:
            hits[lang] += n
    return hits


def _decisive(hits: Counter[str]) -> str | None:
    """The language the evidence points to: the top one, with at least twice the runner-up."""
    if not hits:
        return None
    (top, n1), *rest = [*hits.most_common(2), ("", 0)]
    n2 = rest[0][1]
    return top if n1 >= 2 * n2 and n1 > n2 else None


# -- counting ------------------------------------------------------------------------------------


def _resolve_spaced(
    text: str, script: str, counts: Counter[str], target: str, detector: Detector, min_words: int
) -> dict[str, float]:
    """Units per language for the words of a script several languages share (Latin, Cyrillic, ...).

    ``counts`` holds the script's (lower-cased) words of ``text``. When the function words point
    to one language throughout, every word is that language's; otherwise each stretch (words
    between sentence ends and other scripts' letters) is decided on its own.
    """
    candidates = _scripts.script(script).languages
    n_words = sum(counts.values())
    hits = _hits(counts)
    total = sum(hits.values())
    if total and total >= 0.1 * n_words:
        top, n_top = hits.most_common(1)[0]
        if total - n_top <= 0.03 * total:  # one language throughout: no need to look closer
            return {top: float(n_words)}
    units: Counter[str] = Counter()
    pending = 0
    for chunk in _scripts.script_chunks(text.lower(), script):
        lang = _decisive(_hits(chunk))
        if lang is None and len(chunk) >= min_words:
            guess = _detect_cached(detector, " ".join(chunk))  # type: ignore[arg-type]  # detectors are hashable
            lang = guess if guess in candidates else None
        if lang is None:
            pending += len(chunk)
        else:
            units[lang] += len(chunk)
    if pending:  # short stretches without evidence: the majority language, else the target
        units[min(units, key=lambda k: (-units[k], k)) if units else target] += pending
    return {k: float(v) for k, v in units.items()}


def _resolve_han(text: str) -> dict[str, float]:
    """Han characters as Chinese or Japanese, for a text that holds kana.

    A run of Han characters that touches kana (``確認します``, ``三百六十を``) is Japanese. The
    other runs follow their sentence: Japanese if most of its Han characters touch kana, else
    Chinese when the sentence has 6 or more Han characters. A kana word quoted inside a Chinese
    sentence (``「ありがとう」``) touches no Han, so it leaves the sentence Chinese. What is left
    (short kanji-only sentences such as ``解答``) takes the majority, else Japanese.
    """
    kana = _scripts._char_class("Kana")
    han_runs = _HAN_RUN
    units: Counter[str] = Counter()
    pending = 0
    for sentence in _SENTENCES.split(text):
        touching = loose = 0
        for run in han_runs.finditer(sentence):
            start, end = run.span()
            before = sentence[start - 1] if start else ""
            after = sentence[end] if end < len(sentence) else ""
            if (before and kana.match(before)) or (after and kana.match(after)):
                touching += end - start
            else:
                loose += end - start
        units["ja"] += touching
        if loose:
            if touching >= loose:
                units["ja"] += loose
            elif touching + loose >= 6:
                units["zh"] += loose
            else:
                pending += loose
    units = +units
    if pending:
        units[min(units, key=lambda k: (-units[k], k)) if units else "ja"] += pending
    return {k: float(v) for k, v in units.items()}


_HAN_RUN = re.compile(f"[{_scripts.script('Han').letters}]+")
_SENTENCES = re.compile(f"[{_scripts.SENTENCE_END}]")


def language_units(cot: str, target: str, *, detector: Detector | None = None, min_words: int = 6) -> dict[str, float]:
    """How many units of the CoT are in each language.

    Keys are language codes, or a script name (``"Han"``, ``"Latin"``) for foreign text whose
    exact language did not matter (only scripts the target is written in are resolved).

    Args:
        cot: The chain of thought (raw; it is stripped here).
        target: The target language (ISO 639-1, lower case).
        detector: For long stretches without function-word evidence; ``NoDetector()`` if omitted.
        min_words: The shortest stretch handed to the detector.

    Returns:
        Units per language (see the module docstring for the unit); empty when nothing counts.

    >>> language_units("Let me compute: 因此答案是 $x=4$.", "en")
    {'en': 3.0, 'Han': 5.0}
    >>> language_units("Donc la réponse est 4, c'est clair.", "en", detector=NoDetector())
    {'fr': 6.0}
    """
    detector = detector if detector is not None else _DETECTORS["none"]
    text = _scripts.strip_neutral(cot)
    target_scripts = _scripts.scripts_of_language(target)
    units: dict[str, float] = {}

    def add(key: str, n: float) -> None:
        if n:
            units[key] = units.get(key, 0.0) + n

    latin = _scripts.latin_counts(text)
    if latin:
        if "Latin" in target_scripts:
            for lang, n in _resolve_spaced(text, "Latin", latin, target, detector, min_words).items():
                add(lang, n)
        else:
            add("Latin", sum(latin.values()))
    if not _scripts.has_non_latin(text):
        return units
    runs = _scripts.non_latin_runs(text)
    for name, found in runs.items():
        info = _scripts.script(name)
        if info.per_char:
            n = sum(map(len, found))
            if name == "Han" and target in info.languages:
                if "Kana" in runs:
                    for lang, m in _resolve_han(text).items():
                        add(lang, m)
                else:
                    add("zh", n)
            else:
                add(info.languages[0] if len(info.languages) == 1 else name, n * info.char_weight)
            continue
        words = [w for w in found if len(w) >= info.min_word]
        if not words:
            continue
        if target in info.languages and len(info.languages) > 1:
            counts = Counter(w.lower() for w in words)
            for lang, m in _resolve_spaced(text, name, counts, target, detector, min_words).items():
                add(lang, m)
        else:
            add(info.languages[0] if len(info.languages) == 1 else name, len(words))
    return units


# -- the CoT -------------------------------------------------------------------------------------


# -- the reward ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LanguageConfig(RewardConfig):
    """Config of :class:`LanguageConsistency`.

    Args:
        low: Reward of a CoT with no word in the target language (and of an empty CoT).
        high: Reward of a CoT written wholly in the target language.
        language: The target language (ISO 639-1) for rows without a ``language`` value;
            ``None`` makes the ``language`` column required.
        cot: Which text is judged: ``"auto"`` (the think block, else the whole completion),
            ``"think"`` (the think block only; none is a format fault) or ``"completion"``.
        detector: ``"langdetect"`` (seeded), ``"none"``, or any :class:`Detector`.
        min_words: The shortest stretch (in words) without function-word evidence that is handed
            to the detector; shorter ones take the majority language.
        max_chars: Only the first ``max_chars`` characters of the CoT are judged (a bound on work).

    >>> LanguageConfig(language="zh", detector="none").language
    'zh'
    """

    language: str | None = field(default="en", metadata={"sig": "lang"})
    cot: CotScope = "auto"
    detector: str | Detector = field(default="langdetect", metadata={"sig": "det"})
    min_words: int = field(default=6, metadata={"sig": "minw"})
    max_chars: int = field(default=200_000, metadata={"sig": "max"})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.language is not None and _check_target(self.language) is None:
            raise ConfigError(f"language must be a known ISO 639-1 code such as 'en' or 'zh', not {self.language!r}")
        if self.cot not in _SCOPES:
            raise ConfigError(f"cot must be one of {_SCOPES}, not {self.cot!r}")
        _resolve_detector(self.detector)
        if self.min_words < 1:
            raise ConfigError(f"min_words must be at least 1, not {self.min_words}")
        if self.max_chars < 1:
            raise ConfigError(f"max_chars must be at least 1, not {self.max_chars}")


def _summary(units: Mapping[str, float], target: str) -> str:
    total = sum(units.values())
    parts = sorted(units.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{k} {v:g}" for k, v in parts[:4])
    return f"{units.get(target, 0.0):g} of {total:g} units in {target!r} ({shown})"


def grade_language(text: str, language: Any, config: LanguageConfig) -> Verdict:
    """The per-row kernel of :class:`LanguageConsistency` (pure, never raises on model output).

    Args:
        text: The completion's text.
        language: The row's ``language`` value, or ``None`` to use ``config.language``.
        config: The reward's config.

    Returns:
        ``scored`` with ``low + (high - low) * share``; ``no_answer`` (``low``) for an empty CoT
        or one with nothing countable; ``bad_format`` (``low``) when ``cot="think"`` and there is
        no think block; ``missing_column`` or ``bad_reference`` (``None``) when no usable target.

    >>> grade_language("<think>First, 我们 add them.</think> 42", "en", LanguageConfig()).reward
    0.6
    >>> grade_language("<think>x</think>", "en", LanguageConfig()).status.value
    'no_answer'
    >>> grade_language("hi", "klingon", LanguageConfig()).status.value
    'bad_reference'
    """
    if language is None:
        language = config.language
        if language is None:
            return Verdict(None, Status.MISSING_COLUMN, detail="no 'language' value and no config language")
    target = _check_target(language)
    if target is None:
        return Verdict(None, Status.BAD_REFERENCE, detail=f"unknown language code {str(language)[:40]!r}")
    cot = think_content(text, config.cot)
    if cot is None:
        return Verdict(config.low, Status.BAD_FORMAT, extracted=target, detail="no <think> block")
    if not cot.strip():
        return Verdict(config.low, Status.NO_ANSWER, extracted=target, detail="empty chain of thought")
    units = language_units(
        cot[: config.max_chars], target, detector=_resolve_detector(config.detector), min_words=config.min_words
    )
    total = sum(units.values())
    if total <= 0:
        return Verdict(
            config.low, Status.NO_ANSWER, extracted=target, detail="no words to judge once math, code, numbers go"
        )
    share = min(1.0, units.get(target, 0.0) / total)
    reward = config.low + (config.high - config.low) * share
    return Verdict(
        min(config.high, max(config.low, reward)), Status.SCORED, extracted=target, detail=_summary(units, target)
    )


class LanguageConsistency(RowReward[LanguageConfig]):
    """Language consistency of the chain of thought (DeepSeek-R1, arXiv:2501.12948, §2.3.4).

    ``reward = low + (high - low) * (target-language units / all units in the CoT)``, with
    words as units (characters for Han and kana). The target comes from the optional
    ``language`` column (ISO 639-1, e.g. ``"en"``, ``"zh"``), else from ``config.language``.
    See :mod:`verifiers.shaping.language` for the pipeline.

    >>> from verifiers.shaping.language import language_consistency_reward as r
    >>> r(["<think>We add the two numbers.</think>", "<think>我们把两个数相加。</think>"], language=["en", "zh"])
    [1.0, 1.0]
    >>> r(["<think>我们把两个数相加。</think>"])
    [0.0]
    """

    name = "language_consistency"
    config_class = LanguageConfig
    optional_columns = ("language",)

    def grade(self, text: str, row: Mapping[str, Any]) -> Verdict:
        return grade_language(text, row.get("language"), self.config)


#: The default instance: target ``en`` unless the row has a ``language`` value.
language_consistency_reward = LanguageConsistency()
