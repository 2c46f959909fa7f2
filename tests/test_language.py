"""Language consistency: labelled golden rows, the detector seam, determinism, Hypothesis invariants
(range, batch independence, call == score), pickling, threads, hostile input."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verifiers.errors import ConfigError
from verifiers.extract.tags import think_content as extract_cot
from verifiers.shaping import language as lang_mod
from verifiers.shaping.language import (
    LangdetectDetector,
    LanguageConsistency,
    language_consistency_reward,
    language_units,
    normalize_code,
)
from verifiers.shaping.scripts import latin_counts, script_words, strip_neutral
from verifiers.types import Status

GOLDEN = [json.loads(line) for line in (Path(__file__).parent / "golden" / "language.jsonl").read_text().splitlines()]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: One absolute tolerance for every golden row. The expected values are hand counts from the
#: definition (field "units", method in "labelled"), written as fractions rounded to 4 decimals
#: (error <= 0.00005); 0.01 covers that rounding and is smaller than one unit in every mixed row
#: (the largest mixed row has 67 units: 1/67 = 0.015), so a count off by a single unit fails.
TOLERANCE = 0.01

#: Rows where the code disagrees with the hand label beyond TOLERANCE (label kept, not the code's).
XFAIL = {
    "en-fr-quote-in-sentence": (
        'hand count: "c\'est la vie" is 3 French words of 22, so 19/22 = 0.8636; the code gives 1.0 because it '
        "resolves Latin-script language per stretch (the whole sentence, decided English by its function words) "
        "and cannot separate a 3-word quote inside a sentence (the documented known limit)"
    ),
}


def _check(case, verdict):
    expected = case["expected"]
    if expected is None:
        assert verdict.reward is None, (verdict, case["why"])
    else:
        assert verdict.reward is not None, (verdict, case["why"])
        assert abs(verdict.reward - expected) <= TOLERANCE, (verdict, case["labelled"])
    if "status" in case:
        assert verdict.status.value == case["status"], (verdict, case["why"])


def _golden_params():
    return [_golden_param(case) for case in GOLDEN]


def _golden_param(case):
    marks = [pytest.mark.xfail(strict=True, reason=XFAIL[case["id"]])] if case["id"] in XFAIL else []
    return pytest.param(case, id=case["id"], marks=marks)


# -- golden ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _golden_params())
def test_golden(case):
    reward = LanguageConsistency(**case.get("config", {}))
    columns = {"language": [case["language"]]}
    [verdict] = reward.score([case["completion"]], **columns)
    _check(case, verdict)
    assert reward(completions=[case["completion"]], **columns) == [verdict.reward]


def test_golden_corpus_is_broad():
    assert len(GOLDEN) >= 40
    targets = {c["language"] for c in GOLDEN}
    assert {"en", "zh", "ja", "ko", "ru", "fr", "de", "es"} <= targets
    mixed = [c for c in GOLDEN if c["expected"] is not None and 0.0 < c["expected"] < 1.0]
    assert len(mixed) >= 10
    assert all(c["why"] and c["source"] and c["labelled"] for c in GOLDEN)
    assert len({c["id"] for c in GOLDEN}) == len(GOLDEN)
    assert set(XFAIL) <= {c["id"] for c in GOLDEN}
    assert not any("tolerance" in c for c in GOLDEN)  # one tolerance for all rows: TOLERANCE
    for c in GOLDEN:  # every numeric label is its own hand count: target units / all units
        if "units" in c:
            target = (c["language"] or "en").lower().split("-")[0]
            share = c["units"].get(target, 0) / sum(c["units"].values())
            assert abs(share - c["expected"]) <= 0.00005 + 1e-12, c["id"]


def test_golden_as_one_batch_equals_row_by_row():
    rows = [c for c in GOLDEN if "config" not in c]
    batch = language_consistency_reward.score([c["completion"] for c in rows], language=[c["language"] for c in rows])
    singles = [language_consistency_reward.score([c["completion"]], language=[c["language"]])[0] for c in rows]
    assert batch == singles
    for case, verdict in zip(rows, batch):
        if case["id"] not in XFAIL:
            _check(case, verdict)


# -- pieces ----------------------------------------------------------------------------------------


def test_extract_cot_variants():
    assert extract_cot("<think>a</think>b") == "a"
    # one rule for every reward: tags are case-sensitive (format agrees: <THINK> is not a tag)
    assert extract_cot("<THINK>a</Think>b") == "<THINK>a</Think>b"
    assert extract_cot("<THINK>a</THINK>b", "think") is None
    assert extract_cot("a</think>b") == "a"
    assert extract_cot("x<think>a") == "a"
    assert extract_cot("<think>a</think><think>b</think>c") == "a</think><think>b"
    assert extract_cot("plain", "auto") == "plain"
    assert extract_cot("plain", "think") is None
    assert extract_cot("<think>a</think>b", "completion") == "<think>a</think>b"


def test_strip_neutral_removes_math_code_urls():
    text = r"Use $a+b$ and $$\frac{1}{2}$$ and \(x\) and `code` and ```py\nprint('hello world')\n``` at http://x.y/z."
    words = script_words(strip_neutral(text), "Latin")
    assert words == ["Use", "and", "and", "and", "and", "at"]


def test_latin_fast_and_regex_paths_agree():
    text = "Let x2 be the 3rd value; the dog's ball, n_max and don’t stop."
    slow = latin_counts(text + " café")  # é forces the regex path
    assert slow.pop("café") == 1
    assert latin_counts(text) == slow
    assert sum(latin_counts(text).values()) == len(script_words(text, "Latin"))


def test_normalize_code():
    assert [normalize_code(c) for c in ["en", "zh-TW", "pt_BR", "eng", "", None, 5]] == [
        "en",
        "zh",
        "pt",
        None,
        None,
        None,
        None,
    ]


def test_units_are_words_and_han_characters():
    assert language_units("one two three 四五六七", "en") == {"en": 3.0, "Han": 4.0}
    assert language_units("θ and x and α", "en") == {"en": 2.0}  # one-letter variables do not count


def test_scaling_into_low_high():
    text = "<think>We add them. 我们相加。</think>"  # 3 English words, 4 Han characters
    assert LanguageConsistency(low=-1.0, high=1.0)([text]) == [pytest.approx(-1.0 + 2.0 * 3 / 7)]
    assert LanguageConsistency(low=-1.0, high=1.0).reward_range == (-1.0, 1.0)
    assert LanguageConsistency(low=-1.0)(["<think></think>"]) == [-1.0]


def test_column_overrides_config_and_null_falls_back():
    text = "<think>我们把两个数相加。</think>"
    reward = LanguageConsistency(language="zh")
    assert reward([text, text, text], language=["zh", "en", None]) == [1.0, 0.0, 1.0]
    assert reward([text]) == [1.0]


def test_config_validation():
    for bad in (
        {"language": "xx"},
        {"language": "english"},
        {"cot": "all"},
        {"detector": "nope"},
        {"detector": object()},
        {"min_words": 0},
        {"max_chars": 0},
        {"low": 2.0},
    ):
        with pytest.raises(ConfigError):
            LanguageConsistency(**bad)


def test_signature_names_the_choices():
    sig = language_consistency_reward.signature()
    assert sig.startswith("language_consistency|low:0|high:1|lang:en|cot:auto|det:langdetect|minw:6|")


def test_conversational_and_unknown_columns():
    convo = [
        [{"role": "user", "content": "你好"}, {"role": "assistant", "content": "<think>Let me add them.</think>3"}]
    ]
    got = language_consistency_reward(
        completions=convo, prompts=["p"], language=["en"], trainer_state=None, completion_ids=[[1, 2]], log_extra=None
    )
    assert got == [1.0]


# -- the detector seam ----------------------------------------------------------------------------

NO_EVIDENCE = "<think>Binary search tree traversal algorithm complexity analysis notes.</think>"


class AlwaysFrench:
    """A fake detector (module level, so it pickles) that counts its calls."""

    calls = 0

    def detect(self, text):
        AlwaysFrench.calls += 1
        return "fr"

    def __repr__(self):
        return "always-fr"


class Broken:
    def detect(self, text):
        raise RuntimeError("detector bug")

    def __repr__(self):
        return "broken"


def test_detector_decides_long_stretches_without_evidence():
    assert LanguageConsistency(detector=AlwaysFrench())([NO_EVIDENCE]) == [0.0]
    assert LanguageConsistency(detector="none")([NO_EVIDENCE]) == [1.0]  # benefit of the doubt
    assert LanguageConsistency(detector=AlwaysFrench(), min_words=20)([NO_EVIDENCE]) == [1.0]  # too short to judge


def test_detector_not_called_when_script_or_function_words_decide():
    detector = AlwaysFrench()
    before = AlwaysFrench.calls
    rows = [c["completion"] for c in GOLDEN[:20]]
    LanguageConsistency(detector=detector).score(rows, language=["en"] * len(rows))
    LanguageConsistency(detector=detector).score(rows, language=["zh"] * len(rows))
    assert AlwaysFrench.calls == before


def test_a_failing_detector_is_no_answer_not_a_crash():
    assert LanguageConsistency(detector=Broken())([NO_EVIDENCE]) == [1.0]


def test_langdetect_is_seeded_and_repeatable():
    lang_mod._detect_cached.cache_clear()
    text = "bonjour monde calcul rapide matrice inverse déterminant"
    answers = {LangdetectDetector().detect(text) for _ in range(15)}
    assert len(answers) == 1
    assert LangdetectDetector() == LangdetectDetector(0) != LangdetectDetector(1)


def test_same_result_in_a_fresh_process():
    rows = [c for c in GOLDEN if c["language"] in ("en", "fr", "zh", "ja") and "config" not in c]
    completions, langs = [c["completion"] for c in rows], [c["language"] for c in rows]
    lang_mod._detect_cached.cache_clear()
    here = LanguageConsistency(min_words=3).score(completions, language=langs)
    code = (
        "import json,sys\nfrom verifiers.shaping.language import LanguageConsistency\n"
        "d=json.load(sys.stdin)\nv=LanguageConsistency(min_words=3).score(d['c'], language=d['l'])\n"
        "print(json.dumps([x.to_dict() for x in v]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps({"c": completions, "l": langs}),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(out.stdout) == [v.to_dict() for v in here]


# -- contract: pickling, threads, hostile input --------------------------------------------------


def test_pickle_round_trip():
    for reward in (language_consistency_reward, LanguageConsistency(language="zh", detector="none", low=-1.0)):
        clone = pickle.loads(pickle.dumps(reward))
        assert clone == reward and clone.signature() == reward.signature()
        texts = [c["completion"] for c in GOLDEN[:10]]
        assert clone(texts) == reward(texts)
    assert pickle.loads(pickle.dumps(LanguageConsistency(detector=AlwaysFrench()))).config.detector is not None


def test_worker_threads_agree_with_serial():
    texts = [c["completion"] for c in GOLDEN if "config" not in c]
    langs = [c["language"] for c in GOLDEN if "config" not in c]
    lang_mod._detect_cached.cache_clear()
    serial = language_consistency_reward.score(texts, language=langs)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: language_consistency_reward.score(texts, language=langs), range(8)))
    assert all(r == serial for r in results)


def test_hostile_input_is_bounded():
    # Run in a fresh process with a 120 s timeout: only a hang (e.g. quadratic regex backtracking)
    # can break it; there is no timing assertion.
    code = (
        "import json\nfrom verifiers.shaping.language import language_consistency_reward\n"
        "nasty = '<think>' + ('$$ \\\\begin{x} ``` $' * 20000) + ('word ' * 100000) + '\\u00e9' + '\\u4e2d' * 100000\n"
        "[v] = language_consistency_reward.score([nasty])\nprint(json.dumps(v.to_dict()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    reward = json.loads(out.stdout)["reward"]
    assert reward is not None and 0.0 <= reward <= 1.0


# -- Hypothesis ----------------------------------------------------------------------------------

FRAGMENTS = [
    "We need to compute the sum. ",
    "Wait, ",
    "让我们计算一下。",
    "所以答案是",
    "まず、計算します。",
    "Итак, ответ ",
    "Donc la réponse est ",
    "Die Antwort ist ",
    "$x^2$",
    "\\frac{1}{2}",
    "```py\nx=1\n```",
    "`f(x)`",
    "42",
    " ",
    "\n",
    "<think>",
    "</think>",
    "😀",
    "θ",
    "https://a.b",
    "한국어 ",
    "ＯＫ",
    "é",
    "'",
    "\u2019",
    "x2",
    "_",
]
texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=12).map("".join)
langs = st.one_of(st.none(), st.sampled_from(["en", "zh", "ja", "fr", "ru", "ko", "xx", "zh-CN", ""]))
configs = st.fixed_dictionaries(
    {
        "low": st.sampled_from([0.0, -1.0, -0.5]),
        "high": st.sampled_from([1.0, 0.5, 2.0]),
        "cot": st.sampled_from(["auto", "think", "completion"]),
        "min_words": st.integers(1, 8),
    }
)


@SETTINGS
@given(rows=st.lists(st.tuples(texts, langs), min_size=1, max_size=8), config=configs)
def test_range_determinism_and_batch_independence(rows, config):
    reward = LanguageConsistency(**config)
    completions, languages = [r[0] for r in rows], [r[1] for r in rows]
    whole = reward.score(completions, language=languages)
    lo, hi = reward.reward_range
    for verdict in whole:
        assert verdict.reward is None or lo <= verdict.reward <= hi
        assert (verdict.reward is None) == (verdict.status.fault.value in ("data", "infra"))
    assert reward.score(completions, language=languages) == whole  # same input, same output
    assert reward(completions=completions, language=languages) == [v.reward for v in whole]
    singles = [reward.score([c], language=[lg])[0] for c, lg in rows]
    assert singles == whole
    assert reward.score(completions[::-1], language=languages[::-1]) == whole[::-1]


@SETTINGS
@given(text=texts)
def test_pure_target_text_is_full_marks(text):
    clean = (
        "<think>We add the two numbers and then check the result. "
        + text.replace("<think>", "").replace("</think>", "")
        + "</think>"
    )
    [verdict] = language_consistency_reward.score([clean], language=["en"])
    units = language_units(extract_cot(clean), "en", detector=LangdetectDetector())
    if set(units) == {"en"}:
        assert verdict.reward == 1.0
    assert verdict.status in (Status.SCORED, Status.NO_ANSWER)
