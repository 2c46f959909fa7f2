"""ModelReward: a learned (Hugging Face) reward model behind the Reward protocol.

Every test runs a tiny, randomly initialized sequence classifier (a 2-layer Llama, and a 2-layer
BERT for first-token pooling) with a byte-level BPE tokenizer trained here on a few sentences:
no download. Expected scores are computed by hand (tokenize, one forward pass), so each test
checks what the reward feeds the model, not only that it runs.
"""

from __future__ import annotations

import asyncio
import copy
import pickle
import subprocess
import sys
import warnings

import pytest

from optional import require

torch, transformers, tokenizers = require("torch", "transformers", "tokenizers", install="pip install -e '.[model]'")

from verifiers import InfrastructureError, Status, WeightedSum  # noqa: E402
from verifiers.base import VerifiersWarning  # noqa: E402
from verifiers.errors import BackendUnavailable, ConfigError  # noqa: E402
from verifiers.models import ModelConfig, ModelReward, segment_text  # noqa: E402
from verifiers.registry import get_reward, names, requirements  # noqa: E402

TOL = {"rel": 1e-4, "abs": 1e-5}
CORPUS = [
    "the quick brown fox jumps over the lazy dog",
    "what is two plus two? the answer is four, because two and two make four",
    "<think> let me think about this step by step </think> the final answer is 42",
    "system user assistant: be brief and helpful, never harmful",
    "0123456789 + - * / = ( ) [ ] { } , . ; : ! ?",
]
TEMPLATE = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"


def make_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<pad>", "<s>", "</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(CORPUS * 5, trainer)
    bos, eos = tok.token_to_id("<s>"), tok.token_to_id("</s>")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", bos), ("</s>", eos)]
    )
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", bos_token="<s>", eos_token="</s>"
    )


def make_llama(tokenizer, seed=0, **extra):
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=4, max_position_embeddings=256, num_labels=1, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, initializer_range=0.3, **extra,
    )
    torch.manual_seed(seed)
    return transformers.LlamaForSequenceClassification(config).eval()


@pytest.fixture(scope="module")
def tok():
    return make_tokenizer()


@pytest.fixture(scope="module")
def llama(tok):
    return make_llama(tok)


@pytest.fixture(scope="module")
def saved(tmp_path_factory, tok, llama):
    path = tmp_path_factory.mktemp("rm")
    llama.save_pretrained(path)
    tok.save_pretrained(path)
    return str(path)


@pytest.fixture(scope="module")
def templated_tok(tok):
    t = copy.deepcopy(tok)
    t.chat_template = TEMPLATE
    return t


def forward(model, ids, label=0):
    with torch.inference_mode():
        return float(model(input_ids=torch.tensor([ids])).logits[0, label])


def plain_score(model, tok, text):
    """What the reward should give for ``text`` without a chat template: BOS + text + EOS."""
    return forward(model, tok(text)["input_ids"])


def template_score(model, tok, messages):
    text = tok.apply_chat_template(messages, tokenize=False)
    return forward(model, tok(text, add_special_tokens=False)["input_ids"])


def reward_of(model, tok, **config):
    return ModelReward(model=model, tokenizer=tok, **config)


# -- segments -------------------------------------------------------------------------------------

COMPLETION = "<think>\nfirst two, then two more\n</think>\n\nThe answer is four."


@pytest.mark.parametrize(
    "segment, expected",
    [("answer", "The answer is four."), ("reasoning", "first two, then two more"), ("full", COMPLETION.strip())],
)
def test_each_segment_scores_exactly_that_text(llama, tok, segment, expected):
    reward = reward_of(llama, tok, segment=segment)
    got = reward([COMPLETION], prompts=["What is 2+2?\n"])[0]
    assert got == pytest.approx(plain_score(llama, tok, "What is 2+2?\n" + expected), **TOL)
    others = {"answer", "reasoning", "full"} - {segment}
    for other in others:  # the segments really differ, so the test can tell them apart
        assert got != pytest.approx(reward_of(llama, tok, segment=other)([COMPLETION], prompts=["What is 2+2?\n"])[0])


def test_segment_text_rules():
    assert segment_text("<think>a</think> b </think> c") == "c"  # after the last </think>
    assert segment_text("<think>a") is None  # cut off inside its reasoning: no answer
    assert segment_text("no tags") == "no tags"
    assert segment_text("a</think>b", "reasoning") == "a"  # pre-filled <think>
    assert segment_text("no tags", "reasoning") is None
    assert segment_text("all reasoning", "reasoning", prefill=True) == "all reasoning"
    assert segment_text("<think>a</think>   ") is None  # blank answer
    assert segment_text("", "full") is None


def test_a_row_without_its_segment_gets_low_with_no_answer(llama, tok):
    reward = reward_of(llama, tok, low=-3.0)
    completions = ["<think>cut off while thinking", COMPLETION, "<think>x</think>   ", ""]
    verdicts = reward.score(completions, prompts=["q"] * 4)
    assert [v.status for v in verdicts] == [Status.NO_ANSWER, Status.SCORED, Status.NO_ANSWER, Status.NO_ANSWER]
    assert [v.reward for v in verdicts][::2] == [-3.0, -3.0]
    assert reward_of(llama, tok, segment="reasoning").score(["no think tags"], prompts=["q"])[0].status is (
        Status.NO_ANSWER
    )
    prefilled = reward_of(llama, tok, prefill=True).score(["still thinking, no close tag"], prompts=["q"])
    assert prefilled[0].status is Status.NO_ANSWER


# -- batching, sorting, order ---------------------------------------------------------------------

MIXED = [
    "four",
    "the quick brown fox " * 12,
    "<think>two and two</think> four",
    "what is two plus two? " * 5,
    "42",
    "jumps over the lazy dog " * 20,
    "be brief",
    "0123456789 " * 7,
    "the answer is four, because two and two make four",
    "x",
    "lazy " * 40,
]
PROMPTS = [f"question {i}: " + "two plus two " * (i % 4) for i in range(len(MIXED))]


def test_rows_come_back_in_order_with_the_scores_of_their_own_texts(llama, tok):
    reward = reward_of(llama, tok, batch_size=4)
    got = reward(MIXED, prompts=PROMPTS)
    expected = [plain_score(llama, tok, p + segment_text(c)) for p, c in zip(PROMPTS, MIXED)]
    assert got == pytest.approx(expected, **TOL)
    assert len(set(round(x, 4) for x in expected)) == len(expected)  # distinct: order errors would show


@pytest.mark.parametrize("batch_size", [1, 3, 64])
@pytest.mark.parametrize("sort_by_length", [True, False])
def test_batch_size_and_sorting_do_not_change_scores(llama, tok, batch_size, sort_by_length):
    reference = [reward_of(llama, tok)([c], prompts=[p])[0] for c, p in zip(MIXED, PROMPTS)]
    got = reward_of(llama, tok, batch_size=batch_size, sort_by_length=sort_by_length)(MIXED, prompts=PROMPTS)
    assert got == pytest.approx(reference, **TOL)


def test_left_padding_gives_the_same_scores(llama, tok):
    left = copy.deepcopy(tok)
    left.padding_side = "left"
    expected = reward_of(llama, tok, batch_size=1)(MIXED, prompts=PROMPTS)
    assert reward_of(llama, left, batch_size=64)(MIXED, prompts=PROMPTS) == pytest.approx(expected, **TOL)


def test_duplicate_rows_are_scored_once_and_reported_for_each(llama, tok):
    calls = []

    class Counting(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner, self.config = llama, llama.config

        def forward(self, input_ids, attention_mask):
            calls.append(input_ids.shape[0])
            return self.inner(input_ids=input_ids, attention_mask=attention_mask)

    got = reward_of(Counting(), tok)(["a", "b", "a", "a"], prompts=["q", "q", "q", "q"])
    assert sum(calls) == 2 and got[0] == got[2] == got[3] and got[0] != got[1]


def test_sorting_by_length_reduces_padding(llama, tok):
    shapes = []

    class Recording(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner, self.config = llama, llama.config

        def forward(self, input_ids, attention_mask):
            shapes.append(tuple(input_ids.shape))
            return self.inner(input_ids=input_ids, attention_mask=attention_mask)

    def padded_area(sort):
        shapes.clear()
        reward_of(Recording(), tok, batch_size=3, sort_by_length=sort)(MIXED, prompts=PROMPTS)
        return sum(b * w for b, w in shapes)

    sorted_area, unsorted_area = padded_area(True), padded_area(False)
    assert sorted_area < unsorted_area
    assert shapes[0][1] < max(w for _, w in shapes)  # unsorted: the first batch is not the widest


# -- truncation -----------------------------------------------------------------------------------


def test_left_truncation_keeps_the_end_and_the_special_tokens(llama, tok):
    reward = reward_of(llama, tok, max_length=32)
    prompt, response = "what is two plus two? " * 10, "the answer is four, because two and two make four"
    ids = tok(prompt + response, add_special_tokens=False)["input_ids"]
    assert len(ids) > 60
    expected = forward(llama, [tok.bos_token_id, *ids[-30:], tok.eos_token_id])
    verdict = reward.score([response], prompts=[prompt])[0]
    assert verdict.reward == pytest.approx(expected, **TOL)
    assert f"{len(ids) - 30} tokens truncated (left)" in verdict.detail
    # what lies beyond max_length on the left does not matter
    longer = reward([response], prompts=["the lazy dog jumps over the quick fox. " * 5 + prompt])[0]
    assert longer == pytest.approx(verdict.reward, **TOL)
    # the untruncated score differs (so the test would see a missing truncation)
    assert reward_of(llama, tok)([response], prompts=[prompt])[0] != pytest.approx(verdict.reward, **TOL)


def test_right_truncation_keeps_the_start(llama, tok):
    reward = reward_of(llama, tok, max_length=24, truncation="right")
    prompt = "what is two plus two? "
    a = reward(["the answer is four " * 10], prompts=[prompt])[0]
    b = reward(["the answer is four " * 10 + "and more text at the end"], prompts=[prompt])[0]
    ids = tok(prompt + "the answer is four " * 10, add_special_tokens=False)["input_ids"]
    assert a == pytest.approx(b, **TOL)
    assert a == pytest.approx(forward(llama, [tok.bos_token_id, *ids[:22], tok.eos_token_id]), **TOL)


def test_max_length_is_capped_by_the_model(llama, tok):
    reward = reward_of(llama, tok, max_length=100_000)  # the model has 256 positions
    assert reward(["lazy " * 400], prompts=["q"])[0] is not None
    assert "truncated" in reward.score(["lazy " * 400], prompts=["q"])[0].detail


def test_a_bert_style_model_keeps_its_first_token_under_truncation(tok):
    config = transformers.BertConfig(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        max_position_embeddings=64, num_labels=1, pad_token_id=tok.pad_token_id, initializer_range=0.3,
    )
    torch.manual_seed(1)
    bert = transformers.BertForSequenceClassification(config).eval()
    reward = reward_of(bert, tok, max_length=20, batch_size=8)
    texts = ["the quick brown fox " * 8, "four", "the answer is four " * 3]
    ids = [tok("q " + t.strip(), add_special_tokens=False)["input_ids"] for t in texts]
    expected = [forward(bert, [tok.bos_token_id, *i[-18:], tok.eos_token_id]) for i in ids]
    assert reward(texts, prompts=["q "] * 3) == pytest.approx(expected, **TOL)


# -- prompts, chat template, conversations --------------------------------------------------------


def test_the_chat_template_is_used_when_the_tokenizer_has_one(llama, templated_tok):
    reward = reward_of(llama, templated_tok)
    got = reward([COMPLETION], prompts=["What is 2+2?"])[0]
    messages = [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "The answer is four."}]
    assert got == pytest.approx(template_score(llama, templated_tok, messages), **TOL)
    # template="plain" ignores it
    plain = reward_of(llama, templated_tok, template="plain")([COMPLETION], prompts=["What is 2+2?"])[0]
    assert plain == pytest.approx(plain_score(llama, templated_tok, "What is 2+2?The answer is four."), **TOL)
    assert plain != pytest.approx(got, **TOL)


def test_prompts_as_messages_with_the_template(llama, templated_tok):
    prompt = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2+2?"}]
    got = reward_of(llama, templated_tok)(["four"], prompts=[prompt])[0]
    expected = template_score(llama, templated_tok, [*prompt, {"role": "assistant", "content": "four"}])
    assert got == pytest.approx(expected, **TOL)


def test_prompts_as_strings_or_messages_without_a_template(llama, tok):
    reward = reward_of(llama, tok, separator="\n")
    as_text = reward(["four"], prompts=["Be brief.\nWhat is 2+2?"])[0]
    as_messages = reward(
        ["four"], prompts=[[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2+2?"}]]
    )[0]
    assert as_text == pytest.approx(as_messages, **TOL)
    assert as_text == pytest.approx(plain_score(llama, tok, "Be brief.\nWhat is 2+2?\nfour"), **TOL)


@pytest.mark.parametrize("template", [False, True])
def test_conversational_completions(llama, tok, templated_tok, template):
    t = templated_tok if template else tok
    reward = reward_of(llama, t)
    prompts = [[{"role": "user", "content": "What is 2+2?"}]] * 2
    conversations = [[{"role": "assistant", "content": COMPLETION}], [{"role": "assistant", "content": "five"}]]
    assert reward(conversations, prompts=prompts) == reward([COMPLETION, "five"], prompts=prompts)


def test_missing_or_malformed_prompts_are_the_datas_fault(llama, tok):
    reward = reward_of(llama, tok)
    with pytest.warns(VerifiersWarning, match="prompts"):
        verdicts = reward.score(["four", "five"])
    assert [(v.reward, v.status) for v in verdicts] == [(None, Status.MISSING_COLUMN)] * 2
    verdicts = reward.score(["four", "five", "six"], prompts=["q", None, 5])
    assert verdicts[0].status is Status.SCORED
    assert [(v.reward, v.status) for v in verdicts[1:]] == [
        (None, Status.MISSING_COLUMN),
        (None, Status.MALFORMED_INPUT),
    ]


def test_without_required_prompts_the_response_is_scored_alone(llama, tok):
    reward = reward_of(llama, tok, require_prompt=False)
    assert reward.columns == () and reward.optional_columns == ("prompts",)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert reward(["four"])[0] == pytest.approx(plain_score(llama, tok, "four"), **TOL)
    assert reward(["four"], prompts=["q "])[0] == pytest.approx(plain_score(llama, tok, "q four"), **TOL)


# -- labels, normalization, range -----------------------------------------------------------------


def test_label_picks_a_logit_of_a_multi_label_model(tok):
    config = transformers.LlamaConfig(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4,
        num_key_value_heads=4, num_labels=3, pad_token_id=tok.pad_token_id, initializer_range=0.3,
    )
    torch.manual_seed(3)
    model = transformers.LlamaForSequenceClassification(config).eval()
    ids = tok("q four")["input_ids"]
    for label in range(3):
        assert reward_of(model, tok, label=label)(["four"], prompts=["q "])[0] == pytest.approx(
            forward(model, ids, label), **TOL
        )


def test_affine_normalization_is_exact_and_clipped(llama, tok):
    raw = reward_of(llama, tok)(MIXED, prompts=PROMPTS)
    affine = reward_of(llama, tok, normalize="affine", scale=2.0, shift=0.5)
    got = affine(MIXED, prompts=PROMPTS)
    assert got == [min(max(2.0 * r + 0.5, -10.0), 10.0) for r in raw]
    narrow = reward_of(llama, tok, normalize="affine", scale=100.0, low=-1.0, high=1.0)
    verdicts = narrow.score(MIXED, prompts=PROMPTS)
    assert [v.reward for v in verdicts] == [min(max(100.0 * r, -1.0), 1.0) for r in raw]
    assert narrow.reward_range == (-1.0, 1.0)
    clipped = [v for v, r in zip(verdicts, raw) if abs(100.0 * r) > 1.0]
    assert clipped and all("clipped to [-1, 1]" in v.detail and "raw " in v.detail for v in clipped)


def test_running_normalization_standardizes_with_everything_seen(llama, tok):
    import statistics

    raw = reward_of(llama, tok)(MIXED, prompts=PROMPTS)
    reward = reward_of(llama, tok, normalize="running")
    first = reward(MIXED[:6], prompts=PROMPTS[:6])
    mean, std = statistics.fmean(raw[:6]), statistics.pstdev(raw[:6])
    assert first == pytest.approx([(r - mean) / std for r in raw[:6]], **TOL)
    assert sum(first) == pytest.approx(0.0, abs=1e-5)
    second = reward(MIXED[6:], prompts=PROMPTS[6:])  # statistics of all 11 rows now
    mean, std = statistics.fmean(raw), statistics.pstdev(raw)
    assert second == pytest.approx([(r - mean) / std for r in raw[6:]], **TOL)
    count, m, s = reward.running_stats
    assert count == 11 and m == pytest.approx(mean, **TOL) and s == pytest.approx(std, **TOL)
    # one row, or identical rows: the std is clipped at eps, the value is 0, not a division by zero
    fresh = reward_of(llama, tok, normalize="running")
    assert fresh(["four", "four"], prompts=["q", "q"]) == [0.0, 0.0]
    # rows without a segment take no part in the statistics
    other = reward_of(llama, tok, normalize="running")
    other(["<think>unfinished", "four"], prompts=["q", "q"])
    assert other.running_stats[0] == 1


def test_config_is_checked():
    with pytest.raises(ConfigError, match="scale and shift"):
        ModelConfig(path="x", shift=1.0)
    with pytest.raises(ConfigError, match="segment"):
        ModelConfig(path="x", segment="summary")
    with pytest.raises(ConfigError, match="batch_size"):
        ModelConfig(path="x", batch_size=0)
    with pytest.raises(ConfigError, match=r"path= .* or model="):
        ModelReward()
    with pytest.raises(ConfigError, match="not both"):
        ModelReward("x", model=object(), tokenizer=object())
    with pytest.raises(ConfigError, match="tokenizer"):
        ModelReward(model=object())


def test_a_sum_with_a_model_reward(llama, tok):
    from verifiers import format_reward

    rm = reward_of(llama, tok, low=-2.0, high=2.0)
    total = WeightedSum([(rm, 0.5), (format_reward, 1.0)])
    assert total.reward_range == (-1.0, 2.0)
    completion = "<think>x</think><answer>4</answer>"
    assert total([completion], prompts=["q"])[0] == pytest.approx(0.5 * rm([completion], prompts=["q"])[0] + 1.0)


# -- faults -----------------------------------------------------------------------------------------


class Broken(torch.nn.Module):
    def forward(self, input_ids, attention_mask):
        raise RuntimeError("CUDA out of memory (simulated)")


class NaNModel(torch.nn.Module):
    def forward(self, input_ids, attention_mask):
        return torch.full((input_ids.shape[0], 1), float("nan"))


def test_a_failing_model_raises_never_zero(tok):
    with pytest.raises(InfrastructureError, match="out of memory"):
        reward_of(Broken(), tok)(["four"], prompts=["q"])
    verdicts = reward_of(Broken(), tok, on_error="skip").score(["four", "<think>x"], prompts=["q", "q"])
    assert (verdicts[0].reward, verdicts[0].status) == (None, Status.INFRA_ERROR)
    assert "out of memory" in verdicts[0].detail
    assert verdicts[1].status is Status.NO_ANSWER  # no model call needed for it
    with pytest.raises(InfrastructureError, match="nan"):
        reward_of(NaNModel(), tok)(["four"], prompts=["q"])
    assert reward_of(NaNModel(), tok, on_error="skip")(["four"], prompts=["q"]) == [None]


def test_a_path_without_a_model_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot load"):
        ModelReward(str(tmp_path)).load()


def test_missing_extra_names_the_pip_install(saved, monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)  # import fails as if not installed
    with pytest.raises(BackendUnavailable, match=r"pip install 'reasoning-verifiers\[model\]'"):
        ModelReward(saved).load()


def test_import_verifiers_does_not_import_torch():
    code = (
        "import sys, verifiers, verifiers.models\n"
        "from verifiers import ModelReward\n"
        "from verifiers.registry import resolve\n"
        "resolve('model')\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# -- loading by path, the registry, pickling --------------------------------------------------------


def test_loading_by_path_and_through_the_registry(saved, llama, tok):
    by_object = reward_of(llama, tok)(MIXED, prompts=PROMPTS)
    assert ModelReward(saved)(MIXED, prompts=PROMPTS) == pytest.approx(by_object, **TOL)
    reward = get_reward("model", path=saved, segment="full")
    assert isinstance(reward, ModelReward) and reward.config.segment == "full"
    assert reward(["<think>a</think>b"], prompts=["q"])[0] == pytest.approx(
        plain_score(llama, tok, "q<think>a</think>b"), **TOL
    )
    with pytest.raises(ConfigError, match="needs path="):
        get_reward("model")
    assert "model" not in names() and "model" in names(every=True) and requirements("model") == ("path",)


def test_pickling_a_path_reward_carries_no_weights(saved):
    reward = ModelReward(saved, batch_size=4)
    before = reward(MIXED, prompts=PROMPTS)  # loaded now
    blob = pickle.dumps(reward)
    assert len(blob) < 5_000  # the path and the config, not the model
    copy_ = pickle.loads(blob)
    assert copy_._runtime is None and copy_ == reward and copy_.signature() == reward.signature()
    assert copy_(MIXED, prompts=PROMPTS) == pytest.approx(before, **TOL)
    assert copy.copy(reward)(MIXED, prompts=PROMPTS) == pytest.approx(before, **TOL)


def test_pickling_a_model_object_reward_pickles_the_model(llama, tok):
    reward = reward_of(llama, tok)
    before = reward(MIXED, prompts=PROMPTS)
    copy_ = pickle.loads(pickle.dumps(reward))
    assert copy_(MIXED, prompts=PROMPTS) == pytest.approx(before, **TOL)


def test_async_forms_and_threads_give_the_same_result(llama, tok):
    from concurrent.futures import ThreadPoolExecutor

    reward = reward_of(llama, tok)
    expected = reward(MIXED, prompts=PROMPTS)
    assert asyncio.run(reward.acall(MIXED, prompts=PROMPTS)) == expected
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: ModelReward(model=llama, tokenizer=tok)(MIXED, prompts=PROMPTS), range(2)))
    assert results[0] == pytest.approx(expected, **TOL) and results[1] == pytest.approx(expected, **TOL)


def test_signature(saved, llama, tok):
    sig = ModelReward(saved, segment="reasoning", max_length=512, normalize="affine", scale=2.0).signature()
    assert sig.startswith(f"model|path:{saved}|segment:reasoning|max_length:512|truncation:left|norm:affine(2,0)|")
    assert reward_of(llama, tok).signature().startswith("model|class:LlamaForSequenceClassification|segment:answer|")
    # settings that do not change values stay out of it
    assert ModelReward(saved, batch_size=2, sort_by_length=False).signature() == ModelReward(saved).signature()


@pytest.mark.slow
def test_verify_serve_serves_a_reward_model(saved):
    """`verify serve -r model --model PATH`: OpenRLHF's request (query = prompt + response,
    prompts) scored by the model on the prompt and the response, as ModelReward does locally."""
    from test_serve import PROMPT, Server

    local = ModelReward(saved)
    responses = ["<think>1+1</think>\n<answer>\\boxed{2}</answer>", "<think>hm</think>The answer is two."]
    expected = local(completions=responses, prompts=[PROMPT] * 2)
    server = Server("-r", "model", "--model", saved, "--none", "-99")
    try:
        status, body = server.post({"query": [PROMPT + r for r in responses] + [PROMPT + "<think>cut off"],
                                    "prompts": [PROMPT] * 3})
    finally:
        server.stop()
    assert status == 200, body
    assert body["rewards"][:2] == pytest.approx(expected, **TOL)
    assert body["rewards"][2] == local.config.low  # an unclosed <think>: no answer, the low reward
    assert body["extra_logs"]["model/no_answer"] == [0.0, 0.0, 1.0]


def test_loading_by_path_draws_no_progress_bar_and_restores_the_setting(saved, capfd):
    bars = transformers.utils.logging
    assert bars.is_progress_bar_enabled()
    ModelReward(saved).load()
    assert "Loading" not in capfd.readouterr().err
    assert bars.is_progress_bar_enabled()


@pytest.mark.parametrize("truncation", ["left", "right"])
def test_a_huge_completion_scores_as_its_truncated_tokens_without_tokenizing_it_all(
    llama, tok, truncation, monkeypatch
):
    """Texts are cut to 32 characters per token of max_length before tokenizing: the tokens kept
    are the same as from the whole text, and a 9 MB completion is never tokenized whole."""
    from verifiers.models import hf

    longest: list[int] = []
    real_cut = hf._cut

    def cut(text, cap, keep_end):
        out = real_cut(text, cap, keep_end)
        longest.append(len(out))
        return out

    monkeypatch.setattr(hf, "_cut", cut)
    reward = reward_of(llama, tok, max_length=32, truncation=truncation, segment="full")
    prompt = "what is two plus two? "
    response = " ".join(f"the answer {i % 10} is four." for i in range(20_000))  # ~460k characters
    ids = tok(prompt + response, add_special_tokens=False)["input_ids"]
    expected = forward(llama, [tok.bos_token_id, *(ids[-30:] if truncation == "left" else ids[:30]), tok.eos_token_id])
    assert reward([response], prompts=[prompt])[0] == pytest.approx(expected, **TOL)
    huge = " ".join([response] * 20)  # ~9 MB, the same end and the same start
    assert reward([huge], prompts=[prompt])[0] == pytest.approx(expected, **TOL)
    assert max(longest) == hf.CHARS_PER_TOKEN * 32 < len(response)  # every text was cut before tokenizing
