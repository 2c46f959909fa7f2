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
from hypothesis import given, settings
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


def test_trl_values_recorded():
    trl_rewards = pytest.importorskip("trl.rewards")
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


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_input_is_fast(name):
    text = HOSTILE[name]
    rewards = [*INSTANCES, FormatReward(lenient=True), FormatReward(prefill=True), ThinkFormatReward(prefill=True)]
    start = time.perf_counter()
    for reward in rewards:
        verdict = reward.score([text])[0]
        assert verdict.reward in (reward.config.low, reward.config.high) or reward.name == "tag_count"
    assert time.perf_counter() - start < 1.0  # about 60 ms in practice
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


@SETTINGS
@given(any_text)
def test_prefill_is_the_same_as_prepending_think(text):
    if "<think>" in text:
        return
    for cls in CLASSES.values():
        assert cls(prefill=True)([text]) == cls()(["<think>" + text]), cls.name


@SETTINGS
@given(any_text)
def test_lenient_accepts_whatever_strict_accepts(text):
    if format_reward([text]) == [1.0]:
        assert FormatReward(lenient=True)([text]) == [1.0]
        assert think_format_reward([text]) == [1.0]  # an R1 completion is a valid think format
        assert tag_count_reward([text]) == [1.0]


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
