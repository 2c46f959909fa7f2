"""Format rewards: hand-labelled golden rows (with what TRL and open-r1 return on them), Hypothesis
invariants (range, trailing whitespace, CRLF, prefill, batch size/order, call == score), hostile
input, pickling and threads."""

from __future__ import annotations

import json
import pickle
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from verifiers.errors import ConfigError, InputError
from verifiers.shaping.format import (
    TAGS,
    FormatReward,
    TagCountReward,
    ThinkFormatReward,
    check_r1_format,
    count_tags,
    format_reward,
    tag_count_reward,
    think_format_reward,
)
from verifiers.types import Status

from optional import require

GOLDEN = [json.loads(line) for line in (Path(__file__).parent / "golden" / "format.jsonl").read_text().splitlines()]
CLASSES = {"format": FormatReward, "think_format": ThinkFormatReward, "tag_count": TagCountReward}
INSTANCES = [format_reward, think_format_reward, tag_count_reward]
SETTINGS = settings(max_examples=200, deadline=None)
GOOD = "<think>\nLet me add 2 and 2.\n</think>\n<answer>\n4\n</answer>"

# -- golden ------------------------------------------------------------------------------------


def test_golden_file_is_well_formed():
    assert len(GOLDEN) >= 40
    assert len({row["id"] for row in GOLDEN}) == len(GOLDEN)
    for row in GOLDEN:
        assert {"id", "reward", "completion", "options", "expected", "why"} <= row.keys()
        assert ("trl" in row) == (row["reward"] == "think_format")
        assert ("open_r1" in row) == (row["reward"] != "think_format")


@pytest.mark.parametrize("row", GOLDEN, ids=[row["id"] for row in GOLDEN])
def test_golden(row):
    reward = CLASSES[row["reward"]](**row["options"])
    assert reward(completions=[row["completion"]]) == [row["expected"]], row["why"]
    verdict = reward.score([row["completion"]])[0]
    assert verdict.reward == row["expected"]
    if "detail" in row:
        assert verdict.detail == row["detail"], row["why"]
    if row["expected"] == reward.config.high:
        assert verdict.status is Status.CORRECT
    elif row["expected"] == reward.config.low:
        assert verdict.status is Status.BAD_FORMAT
    else:
        assert verdict.status is Status.SCORED


# open-r1's format_reward and tag_count_reward (src/open_r1/rewards.py), rewritten: the recorded
# ``open_r1`` values of the golden rows must be what that code returns.
def _open_r1(reward: str, text: str) -> float:
    if reward == "format":
        pattern = r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$"
        return 1.0 if re.match(pattern, text, re.DOTALL | re.MULTILINE) else 0.0
    subs = ("<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>")
    return 0.25 * sum(text.count(s) == 1 for s in subs)


def _first_content(completion) -> str:
    return completion[0]["content"] if isinstance(completion, list) else completion


@pytest.mark.parametrize("row", [r for r in GOLDEN if "open_r1" in r], ids=lambda r: r["id"])
def test_open_r1_values_recorded(row):
    assert _open_r1(row["reward"], _first_content(row["completion"])) == row["open_r1"]


def _trl_rewards():
    """``trl.rewards``; a missing ``trl`` fails under CI (which installs the extra), else skips."""
    return require("trl.rewards", install="pip install 'reasoning-verifiers[trl]'")[0]


def test_trl_values_recorded():
    trl_rewards = _trl_rewards()
    rows = [r for r in GOLDEN if "trl" in r]
    convs = [r["completion"] if isinstance(r["completion"], list) else [{"content": r["completion"]}] for r in rows]
    assert trl_rewards.think_format_reward(convs) == [r["trl"] for r in rows]


def test_we_differ_from_the_peers_on_purpose():
    """The golden rows document real disagreements with both peers (the docs table lists them)."""
    differ = [r["id"] for r in GOLDEN if r.get("trl", r.get("open_r1")) != r["expected"]]
    assert "tf-close-twice" in differ and "r1-answer-twice" in differ and "r1-crlf" in differ
    assert len(differ) >= 20


# -- contract ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reward", INSTANCES, ids=lambda r: r.name)
def test_unknown_columns_are_ignored(reward):
    got = reward(
        completions=[GOOD, "nope"],
        prompts=["q", "q"],
        completion_ids=[[1], [2]],
        trainer_state=object(),
        log_extra=None,
        solution=["4", "4"],
    )
    assert got == [1.0, 0.0]


@pytest.mark.parametrize("reward", INSTANCES, ids=lambda r: r.name)
def test_completions_required(reward):
    with pytest.raises(InputError):
        reward()
    with pytest.raises(InputError):
        reward(completions=[42])


def test_names_and_signatures():
    assert [r.__name__ for r in INSTANCES] == ["format", "think_format", "tag_count"]
    assert (
        FormatReward(lenient=True, prefill=True)
        .signature()
        .startswith("format|low:0|high:1|prefill:True|lenient:True|empty_think:False|v:")
    )
    assert ThinkFormatReward(allow_empty_think=True).signature().startswith("think_format|low:0|high:1|prefill:False|")
    assert TagCountReward(prefill=True).signature().startswith("tag_count|low:0|high:1|prefill:True|v:")
    with pytest.raises(ConfigError):
        FormatReward(strict=True)


def test_custom_low_high():
    reward = FormatReward(low=-1.0, high=2.0)
    assert reward([GOOD, "x"]) == [2.0, -1.0]
    assert reward.reward_range == (-1.0, 2.0)
    tags = TagCountReward(low=-1.0, high=1.0)
    assert tags(["<think></think>", GOOD, ""]) == [0.0, 1.0, -1.0]


def test_conversational_and_multimodal():
    parts = [{"role": "assistant", "content": [{"type": "text", "text": GOOD}]}]
    # a conversation with no assistant turn is the data's fault (None), not the model's (0.0)
    assert format_reward([parts, {"role": "assistant", "content": GOOD}, [{"role": "user", "content": GOOD}]]) == [
        1.0,
        1.0,
        None,
    ]


# -- hostile input -----------------------------------------------------------------------------

HOSTILE = {
    "1MB plain": "a" * 1_000_000,
    "1MB of <": "<" * 1_000_000,
    "1MB near-tags": "<thin</thin<answe" * 60_000,
    "10k think tags": "<think>" * 10_000,
    "10k tag sets": "<think></think><answer></answer>" * 10_000,
    "1MB valid": "<think>" + "x " * 500_000 + "</think><answer>4</answer>",
    "1MB blank think": "<think>" + " " * 1_000_000 + "</think><answer>4</answer>",
}


#: Not a speed test (a loaded CI machine must not fail it): only a hang or a super-linear blow-up
#: on these inputs (seconds become hours) exceeds it. About 60 ms in practice.
HANG_S = 60.0


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_input_is_fast(name):
    text = HOSTILE[name]
    rewards = [*INSTANCES, FormatReward(lenient=True), FormatReward(prefill=True), ThinkFormatReward(prefill=True)]
    start = time.perf_counter()
    for reward in rewards:
        verdict = reward.score([text])[0]
        assert verdict.reward in (reward.config.low, reward.config.high) or reward.name == "tag_count"
    assert time.perf_counter() - start < HANG_S
    assert format_reward([text]) == ([1.0] if name == "1MB valid" else [0.0])


# -- invariants --------------------------------------------------------------------------------

FRAGMENTS = [*TAGS, "<THINK>", "<think >", "</think", "\n", "\r\n", " ", "\t", "\u00a0", "4", "x = 2", "```", "<"]
texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=5)), max_size=16).map("".join)
# Mostly well-formed R1 completions with small damage, so both verdicts are well represented.
near_valid = st.builds(
    lambda pre, think, mid, answer, post: f"{pre}<think>{think}</think>{mid}<answer>{answer}</answer>{post}",
    texts,
    texts,
    st.sampled_from(["", "\n", "\r\n", " x "]),
    texts,
    st.sampled_from(["", "\n", " \r\n", "!"]),
)
any_text = st.one_of(texts, near_valid)
whitespace = st.text(alphabet=" \t\n\r\u00a0\u3000\x0b\x0c", min_size=1, max_size=6)
options = st.sampled_from(
    [
        (FormatReward, {}),
        (FormatReward, {"lenient": True}),
        (FormatReward, {"prefill": True}),
        (FormatReward, {"prefill": True, "lenient": True, "allow_empty_think": True}),
        (ThinkFormatReward, {}),
        (ThinkFormatReward, {"prefill": True}),
        (ThinkFormatReward, {"allow_empty_think": True}),
        (TagCountReward, {}),
        (TagCountReward, {"prefill": True}),
    ]
)
bounds = st.tuples(st.floats(-5, 5), st.floats(0, 5)).map(lambda t: (t[0], t[0] + t[1]))

# The R1 template built piece by piece, then damaged or not (intact in 2 examples of 5), so that
# a property conditioned on "strict accepts" or on "no <think>" is reached by most examples.
# Every damage breaks the strict template; only "junk_*" damages are tolerated by lenient=True.
_BODY_FRAGMENTS = [f for f in FRAGMENTS if f not in TAGS]
_tagless = st.lists(st.one_of(st.sampled_from(_BODY_FRAGMENTS), st.text(max_size=5)), max_size=6).map("".join)
# never blank: a visible middle; never a tag, even one assembled from random pieces
body = st.tuples(_tagless, st.sampled_from(["4", "x = 2", "Let me see.", "é"]), _tagless).map("".join).filter(
    lambda t: not any(tag in t for tag in TAGS)
)
junk = st.sampled_from(["x", "Done.", "<|im_end|>", "<THINK>", "```", "The answer is 4."])
LAYOUT_DAMAGES = ["junk_before", "junk_between", "junk_after", "blank_think", "blank_answer"]
TAG_DAMAGES = ["drop", "repeat", "swap"]
LENIENT_DAMAGES = frozenset({"junk_before", "junk_between", "junk_after"})


@st.composite
def r1_cases(draw, prefill: bool = False) -> tuple[str, frozenset[str]]:
    """``(completion, damages)``: the R1 template (without ``<think>`` when ``prefill``), intact
    when ``damages`` is empty."""
    allowed = [d for d in LAYOUT_DAMAGES + TAG_DAMAGES if not (prefill and d == "junk_before")]
    n = draw(st.sampled_from([0, 0, 1, 1, 2]))  # intact 2 times in 5, mostly a single damage
    chosen = draw(st.lists(st.sampled_from(allowed), min_size=n, max_size=n, unique=True))
    layout = [d for d in chosen if d in LAYOUT_DAMAGES]
    tag_damage = next((d for d in chosen if d in TAG_DAMAGES), None)  # at most one
    space = st.one_of(st.just(""), whitespace)

    def part(damage: str, intact, broken):
        return draw(broken if damage in layout else intact)

    think = part("blank_think", body, space)
    answer = part("blank_answer", body, space)
    pre = [] if prefill else [part("junk_before", space, junk), THINK_TAG]
    pieces = [
        *pre, think, END_THINK_TAG, part("junk_between", space, junk), ANSWER_TAG, answer, END_ANSWER_TAG,
        part("junk_after", space, junk),
    ]
    tag_at = [i for i, piece in enumerate(pieces) if piece in TAGS]
    if tag_damage == "drop":
        del pieces[draw(st.sampled_from(tag_at))]
    elif tag_damage == "repeat":
        pieces.insert(draw(st.integers(0, len(pieces))), pieces[draw(st.sampled_from(tag_at))])
    elif tag_damage == "swap":
        i, j = draw(st.lists(st.sampled_from(tag_at), min_size=2, max_size=2, unique=True))
        pieces[i], pieces[j] = pieces[j], pieces[i]
    damages = frozenset(layout) | ({tag_damage} if tag_damage else set())
    return "".join(pieces), damages


THINK_TAG, END_THINK_TAG, ANSWER_TAG, END_ANSWER_TAG = TAGS
# Free text that never contains <think> (for the prefill property): no "<think>" fragment, and
# the rare one assembled from random pieces is filtered out.
texts_without_think = (
    st.lists(st.one_of(st.sampled_from([f for f in FRAGMENTS if f != "<think>"]), st.text(max_size=5)), max_size=16)
    .map("".join)
    .filter(lambda t: "<think>" not in t)
)


@SETTINGS
@given(options, bounds, st.lists(any_text, max_size=8))
def test_range_and_call_equals_score(opt, lo_hi, batch):
    cls, kw = opt
    reward = cls(low=lo_hi[0], high=lo_hi[1], **kw)
    values = reward(completions=batch)
    verdicts = reward.score(batch)
    assert values == [v.reward for v in verdicts]
    low, high = reward.reward_range
    assert all(low <= v <= high for v in values)
    assert all(v.status in (Status.CORRECT, Status.BAD_FORMAT, Status.SCORED) for v in verdicts)
    assert [v.reward for v in verdicts] == [reward.score([t])[0].reward for t in batch]


@SETTINGS
@given(options, any_text, whitespace)
def test_trailing_whitespace_never_changes_the_verdict(opt, text, tail):
    reward = opt[0](**opt[1])
    assert reward.score([text + tail])[0] == reward.score([text])[0]


@SETTINGS
@given(options, any_text)
def test_crlf_never_changes_the_verdict(opt, text):
    reward = opt[0](**opt[1])
    assert reward([text.replace("\n", "\r\n")]) == reward([text])


prefill_completions = r1_cases(prefill=True).map(lambda case: case[0])
PREFILL_PAIRS = [
    (FormatReward(prefill=True), format_reward),
    (FormatReward(prefill=True, lenient=True), FormatReward(lenient=True)),
    (FormatReward(prefill=True, allow_empty_think=True), FormatReward(allow_empty_think=True)),
    (ThinkFormatReward(prefill=True), think_format_reward),
    (TagCountReward(prefill=True), tag_count_reward),
]


@SETTINGS
@given(st.one_of(prefill_completions, texts_without_think))
def test_prefill_is_the_same_as_prepending_think(text):
    # every example reaches the assertions: the strategy never produces "<think>"
    assert "<think>" not in text
    accepted = format_reward.score(["<think>" + text])[0].status is Status.CORRECT
    event(f"R1 format with <think> prepended: {'accepted' if accepted else 'rejected'}")
    for prefilled, plain in PREFILL_PAIRS:
        ours, theirs = prefilled.score([text])[0], plain.score(["<think>" + text])[0]
        assert (ours.reward, ours.status) == (theirs.reward, theirs.status), (prefilled, text)
        if prefilled.name != "tag_count":  # tag_count's detail lists the counts, <think>=0 vs 1
            assert ours.detail == theirs.detail, (prefilled, text)


@SETTINGS
@given(r1_cases())
def test_lenient_accepts_whatever_strict_accepts(case):
    text, damages = case
    event("intact template" if not damages else "damaged: " + "+".join(sorted(damages)))
    # the generator's oracle: strict accepts exactly the intact template, lenient also
    # tolerates text outside the two blocks
    assert format_reward([text]) == [0.0 if damages else 1.0], damages
    assert FormatReward(lenient=True)([text]) == [1.0 if damages <= LENIENT_DAMAGES else 0.0], damages
    if not damages:  # 2 examples in 5
        assert think_format_reward([text]) == [1.0]  # an R1 completion is a valid think format
        assert tag_count_reward([text]) == [1.0]
        # CRLF and a trailing blank line keep it accepted
        assert format_reward([text.replace("\n", "\r\n") + "\r\n"]) == [1.0]


@SETTINGS
@given(any_text)
def test_count_tags_is_str_count(text):
    assert count_tags(text) == tuple(text.count(tag) for tag in TAGS)


@SETTINGS
@given(options, st.lists(any_text, min_size=1, max_size=10), st.randoms(use_true_random=False))
def test_batch_size_and_order_independence(opt, batch, rnd):
    reward = opt[0](**opt[1])
    whole = reward(completions=batch)
    assert [reward(completions=[t])[0] for t in batch] == whole
    order = list(range(len(batch)))
    rnd.shuffle(order)
    assert reward(completions=[batch[i] for i in order]) == [whole[i] for i in order]


def test_strict_kernel_reason_order():
    # The first broken rule is reported: tag counts before order before layout before emptiness.
    assert check_r1_format("<answer></answer><think></think>x<answer>") == 6
    assert check_r1_format("<answer></answer><think></think>") == 9
    assert check_r1_format("x<think></think>y<answer></answer>z") == 10
    assert check_r1_format("<think></think><answer></answer>") == 13
    assert check_r1_format("<think>a</think><answer></answer>") == 14


# -- pickling and threads ----------------------------------------------------------------------

BATCH = [GOOD, GOOD.replace("\n", "\r\n"), "<think>a</think>b</think>", [{"role": "assistant", "content": GOOD}]]


@pytest.mark.parametrize("reward", INSTANCES, ids=lambda r: r.name)
def test_pickle_round_trip(reward):
    copy = pickle.loads(pickle.dumps(reward))
    assert copy == reward and copy.signature() == reward.signature()
    assert copy(completions=BATCH) == reward(completions=BATCH)


@pytest.mark.parametrize("reward", INSTANCES, ids=lambda r: r.name)
def test_worker_thread(reward):
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: reward(completions=BATCH), range(4)))
    assert all(r == reward(completions=BATCH) for r in results)
