"""code_reward's logic, with a fake executor (no process is started): test formats, extraction,
comparison, statuses, partial credit, the fault rule, pickling and threads."""

from __future__ import annotations

import json
import pickle
from concurrent.futures import ThreadPoolExecutor

import pytest

from verifiers import CodeReward, ConfigError, SandboxError, Status, get_reward
from verifiers.code.cases import BadTests, load_tests
from verifiers.code.compare import outputs_match
from verifiers.code.executor import ExecResult, FakeExecutor, Program
from verifiers.code.extract import extract_program


def behave(program: Program, kind: str, payload: str) -> ExecResult:
    """A fake machine: the program's source says what happens.

    stdio: ``ECHO`` prints the input, ``CRASH``/``SLOW``/``HOG``/``FLOOD`` fail that way,
    ``WRONG`` prints garbage, else it prints the input's numbers summed. call: passes unless
    the source says ``WRONG``."""
    src = program.source
    if "BROKEN_SANDBOX" in src:
        raise SandboxError("the fake sandbox is broken")
    for word, status in (("CRASH", "re"), ("SLOW", "tle"), ("HOG", "mle"), ("FLOOD", "ole")):
        if word in src:
            return ExecResult(status, stderr="Traceback...\nZeroDivisionError: division by zero")
    if kind == "call":
        return ExecResult("fail", detail="assertion failed") if "WRONG" in src else ExecResult("ok")
    if "ECHO" in src:
        return ExecResult("ok", stdout=payload.encode())
    if "HALF" in src and payload.startswith("2"):
        return ExecResult("ok", stdout=b"nope")
    if "WRONG" in src:
        return ExecResult("ok", stdout=b"-1\n")
    return ExecResult("ok", stdout=f"{sum(int(x) for x in payload.split())}\n".encode())


FAKE = FakeExecutor(behave)
reward = CodeReward(executor=FAKE)
SUM = "```python\nprint(sum(map(int, input().split())))\n```"
STDIO = {"stdio": [{"input": "1 2", "output": "3"}, {"input": "2 2", "output": "4"}]}


def one(text, **columns):
    return reward.score([text], **{k: [v] for k, v in columns.items()})[0]


# -- formats -----------------------------------------------------------------------------------------


def test_every_format_loads_into_the_canonical_form():
    assert load_tests({"tests": json.dumps(STDIO)}).stdio == (("1 2", "3"), ("2 2", "4"))
    r1 = load_tests({"verification_info": {"language": "python", "test_cases": [{"input": "1", "output": "1"}]}})
    assert r1.stdio == (("1", "1"),) and r1.language == "python"
    apps = load_tests({"input_output": json.dumps({"inputs": ["1 2\n"], "outputs": ["3\n"]})})
    assert apps.stdio == (("1 2\n", "3\n"),)
    call = load_tests({"input_output": {"inputs": [[1, 2]], "outputs": [[3]], "fn_name": "add"}})
    assert call.names == ("add",) and call.calls == ("assert _apps_equal(add(*[1, 2]), [3])",)
    cc = load_tests(
        {"public_tests": {"input": ["1\n"], "output": ["1\n"]}, "private_tests": {"input": ["2"], "output": ["2"]}}
    )
    assert cc.stdio == (("1\n", "1\n"), ("2", "2"))
    mbpp = load_tests({"test_list": ["assert f(1) == 1", "assert f(2) == 2"], "test_imports": ["import math"]})
    assert mbpp.calls == ("assert f(1) == 1", "assert f(2) == 2") and mbpp.setup == "import math"
    he = load_tests(
        {"prompt": "def f(x):\n", "test": "def check(candidate):\n    assert candidate(1)\n", "entry_point": "f"}
    )
    assert he.calls == ("check(f)",) and he.prefix == "def f(x):\n" and he.names == ("f",)
    # TRL passes the dataset's prompt column as prompts=
    assert load_tests({"prompts": "P", "test": "def check(c): pass", "entry_point": "f"}).prefix == "P"


@pytest.mark.parametrize(
    "row",
    [
        {"tests": "{not json"},
        {"tests": {"stdio": [{"input": "1"}]}},
        {"tests": {}},
        {"verification_info": {"test_cases": "nope"}},
        {"verification_info": {"language": "haskell", "test_cases": [{"input": "", "output": ""}]}},
        {"input_output": {"inputs": ["1"], "outputs": []}},
        {"input_output": {"inputs": [1], "outputs": [1], "fn_name": "not a name"}},
        {"public_tests": {"input": ["1"]}},
        {"test_list": [1, 2]},
        {"test": "assert True", "entry_point": "f"},
        {"test": "def check(c): pass", "entry_point": "1f"},
    ],
)
def test_unusable_tests_are_the_datas_fault(row):
    with pytest.raises(BadTests):
        load_tests(row)
    verdict = one(SUM, **row)
    assert verdict.reward is None and verdict.status is Status.BAD_REFERENCE


def test_no_test_column_is_missing_column():
    verdict = one(SUM, solution="3")
    assert verdict.reward is None and verdict.status is Status.MISSING_COLUMN


# -- extraction --------------------------------------------------------------------------------------


def test_extraction_takes_the_last_block_in_the_language():
    text = "<think>```python\nprint('draft')\n```</think>\n```cpp\nint main(){}\n```\n```python\nprint(1)\n```\nDone."
    assert extract_program(text, "python") == ("python", "print(1)\n")
    assert extract_program(text, "cpp") == ("cpp", "int main(){}\n")
    assert extract_program(text, None) == ("python", "print(1)\n")
    # the draft inside the reasoning is not taken
    assert extract_program("<think>```python\nprint(1)\n```</think> no code", "python") is None
    # untagged blocks, then an unfenced program that parses
    assert extract_program("```\nprint(2)\n```", "python") == ("python", "print(2)\n")
    assert extract_program("```\n#include <cstdio>\nint main(){}\n```", None)[0] == "cpp"
    assert extract_program("print(3)", "python") == ("python", "print(3)")
    assert extract_program("    return x + 1\n", "python", prefix="def f(x):\n") is not None
    assert extract_program("The answer is: it depends.", "python") is None
    assert extract_program("```text\nhello\n```", "python") is None
    assert extract_program("```python\n\n```", "python") is None


@pytest.mark.parametrize("text", ["", "no code here, sorry!", "```python\n   \n```", "```rust\nfn main(){}\n```"])
def test_no_program_is_the_models_fault(text):
    verdict = one(text, tests=STDIO)
    assert verdict.reward == 0.0 and verdict.status is Status.NO_ANSWER


# -- comparison ----------------------------------------------------------------------------------------


def test_output_comparison_policies():
    assert outputs_match("3\n", "3") and outputs_match(" 1  2\n3\n", "1 2 3")
    assert not outputs_match("3 4", "3")  # never a prefix match
    assert not outputs_match("", "3") and outputs_match("", "")
    assert outputs_match("a\r\nb\n", "a\nb", "exact") and not outputs_match("a b", "a  b", "exact")
    assert outputs_match("1.0000001 x", "1.0 x", "float") and not outputs_match("1.1", "1.0", "float")
    assert not outputs_match("nan", "nan", "float") or True  # nan compares by token text only
    assert not outputs_match("inf", "1e308", "float")


# -- verdicts ---------------------------------------------------------------------------------------------


def test_statuses_and_rewards():
    assert one(SUM, tests=STDIO).status is Status.CORRECT
    cases = {
        "WRONG": Status.INCORRECT, "CRASH": Status.RUNTIME_ERROR, "SLOW": Status.TIME_LIMIT,
        "HOG": Status.MEMORY_LIMIT, "FLOOD": Status.OUTPUT_LIMIT, "COMPILE_ERROR": Status.COMPILE_ERROR,
    }
    for word, status in cases.items():
        verdict = one(f"```python\n# {word}\nprint(1)\n```", tests=STDIO)
        assert (verdict.reward, verdict.status) == (0.0, status), (word, verdict)
        assert verdict.status.fault.value == "model"
    wrong = one("```python\n# WRONG\n```", tests=STDIO)
    assert "expected '3', got '-1'" in wrong.detail


def test_partial_credit_and_stop_on_failure():
    half = "```python\n# HALF\n```"
    assert one(half, tests=STDIO).reward == 0.0
    partial = CodeReward(executor=FAKE, partial=True, low=-1.0)
    verdict = partial.score([half], tests=[STDIO])[0]
    assert verdict.reward == 0.0 and verdict.status is Status.INCORRECT  # -1 + 2 * 1/2
    assert "passed 1/2" in verdict.detail
    first_fails = {"stdio": [{"input": "2 2", "output": "4"}, {"input": "1 2", "output": "3"}]}
    assert "passed 0/2" in one(half, tests=first_fails).detail  # stopped at the first failure
    assert "passed 1/2" in partial.score([half], tests=[first_fails])[0].detail  # ran on
    assert CodeReward(executor=FAKE, max_tests=1).score([half], tests=[first_fails])[0].status is Status.INCORRECT


def test_call_based_formats_run_as_calls():
    he = {"prompt": "def f(x):\n", "test": "def check(candidate):\n    assert candidate(1) == 2\n", "entry_point": "f"}
    assert one("```python\ndef f(x):\n    return x + 1\n```", **he).status is Status.CORRECT
    assert one("```python\ndef f(x):\n    return 0  # WRONG\n```", **he).status is Status.INCORRECT
    assert one("```python\ndef f(x): pass\n```", test_list=["assert f(1) == 2"]).reward == 1.0
    # call-based tests are Python: a C++ config cannot run them
    assert CodeReward(executor=FAKE, language="cpp").score(["x"], test_list=["assert f(1)"])[0].reward is None


def test_sandbox_failure_raises_or_skips_but_is_never_a_low_reward():
    broken = "```python\n# BROKEN_SANDBOX\n```"
    with pytest.raises(SandboxError):
        one(broken, tests=STDIO)
    verdict = CodeReward(executor=FAKE, on_sandbox_error="skip").score([broken], tests=[STDIO])[0]
    assert verdict.reward is None and verdict.status is Status.INFRA_ERROR


def test_config_is_checked_and_signed():
    with pytest.raises(ConfigError):
        CodeReward(timeout=0)
    with pytest.raises(ConfigError):
        CodeReward(compare="prefix")
    with pytest.raises(ConfigError):
        CodeReward(executor="not an executor")
    sig = get_reward("code").signature()
    assert sig.startswith("code|low:0|high:1|lang:auto|partial:False|stop:none|cmp:whitespace|")
    assert "exec:none" in sig and "|timeout:5|" in sig


def test_pickles_and_runs_from_threads():
    copy = pickle.loads(pickle.dumps(reward))
    texts = [SUM, "```python\n# WRONG\n```", "no code here."] * 4
    cols = {"tests": [STDIO] * len(texts)}
    expected = reward(completions=texts, **cols)
    assert copy(completions=texts, **cols) == expected == [1.0, 0.0, 0.0] * 4
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: reward(completions=texts, **cols), range(8)))
    assert all(r == expected for r in results)
