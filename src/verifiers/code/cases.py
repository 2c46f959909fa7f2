"""Test cases: the dataset formats in use, loaded into one canonical :class:`TestSuite`.

Columns read (TRL passes every dataset column to a reward by its name), in this order:

=====================  ==========================================================================
column(s)              format
=====================  ==========================================================================
``tests``              the canonical form (below), as a dict or a JSON string
``verification_info``  open-r1: ``{"language", "test_cases": [{"input", "output"}]}``
``input_output``       APPS: ``{"inputs", "outputs"}`` (stdin/stdout), or with ``"fn_name"``
                       (call-based: ``inputs[i]`` is the argument list); dict or JSON string
``public_tests``,      CodeContests: ``{"input": [...], "output": [...]}``, both used when present
``private_tests``
``test_list``          MBPP: a list of assert statements (``test_setup_code``, ``test_imports``
                       are used when present)
``test`` +             HumanEval: ``test`` defines ``check(candidate)``; the program is joined to
``entry_point``        ``prompt`` (or TRL's ``prompts``, when it is text) as HumanEval's harness does
=====================  ==========================================================================

The canonical form::

    {
      "language": "python",               # optional: the language the data asks for
      "stdio": [{"input": "1 2\\n", "output": "3\\n"}, ...],   # stdin -> expected stdout
      "calls": ["assert add(1, 2) == 3", ...],              # one test each, run by the judge
      "setup": "import math",             # trusted code the judge runs before each call test
      "prefix": "",                       # code joined before the program (HumanEval's prompt)
      "names": ["add"]                    # the program's functions the call tests use
    }

A row whose test column cannot be read (bad JSON, no cases, wrong types) is the data's fault.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["TEST_COLUMNS", "BadTests", "TestSuite", "load_tests"]

#: Every column a test format is read from.
TEST_COLUMNS = (
    "tests", "verification_info", "input_output", "public_tests", "private_tests", "test_list", "test",
    "entry_point", "prompt", "prompts", "test_setup_code", "test_imports",
)
#: Cap on the number of cases one row may carry (more is the data's fault).
MAX_CASES = 10_000

#: The judge's comparison for APPS call-based problems (its testing_util: a tuple is a list, and
#: the expected value may come wrapped in a one-element list).
_APPS_SETUP = '''
def _apps_equal(got, expected):
    if isinstance(got, tuple):
        got = list(got)
    if got == expected:
        return True
    return isinstance(expected, list) and len(expected) > 0 and got == expected[0]
'''


class BadTests(ValueError):
    """The row's tests cannot be used (the data's fault)."""


@dataclass(frozen=True)
class TestSuite:
    """One row's tests, in the canonical form (see the module docstring).

    >>> s = load_tests({"public_tests": {"input": ["1 2\\n"], "output": ["3\\n"]}})
    >>> s.stdio, len(s)
    ((('1 2\\n', '3\\n'),), 1)
    """

    __test__ = False  # not a pytest class

    stdio: tuple[tuple[str, str], ...] = ()
    calls: tuple[str, ...] = ()
    setup: str = ""
    prefix: str = ""
    names: tuple[str, ...] = ()
    language: str | None = None

    def __len__(self) -> int:
        return len(self.stdio) + len(self.calls)


def _json(value: Any, column: str) -> Any:
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise BadTests(f"{column!r} is not valid JSON: {exc}") from None
    return value


def _text(value: Any, what: str) -> str:
    """A test's input or output as text: strings as they are, a list of lines joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return "\n".join(value) + ("\n" if value else "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise BadTests(f"{what} is a {type(value).__name__}, not text")


def _pairs(inputs: Any, outputs: Any, column: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(inputs, Sequence) or not isinstance(outputs, Sequence) or isinstance(inputs, str):
        raise BadTests(f"{column!r} needs lists of inputs and outputs")
    if len(inputs) != len(outputs):
        raise BadTests(f"{column!r} has {len(inputs)} inputs and {len(outputs)} outputs")
    return tuple(
        (_text(i, f"an input of {column!r}"), _text(o, f"an output of {column!r}")) for i, o in zip(inputs, outputs)
    )


def _canonical(value: Any) -> TestSuite:
    data = _json(value, "tests")
    if not isinstance(data, Mapping):
        raise BadTests("'tests' must be an object")
    stdio = data.get("stdio") or []
    if not isinstance(stdio, list) or not all(isinstance(c, Mapping) for c in stdio):
        raise BadTests("'tests.stdio' must be a list of {input, output}")
    try:
        pairs = tuple((_text(c["input"], "an input"), _text(c["output"], "an output")) for c in stdio)
    except KeyError as exc:
        raise BadTests(f"a 'tests.stdio' case has no {exc.args[0]!r}") from None
    calls = data.get("calls") or []
    if not isinstance(calls, list) or not all(isinstance(c, str) for c in calls):
        raise BadTests("'tests.calls' must be a list of strings")
    names = data.get("names") or []
    if not isinstance(names, list) or not all(isinstance(n, str) and n.isidentifier() for n in names):
        raise BadTests("'tests.names' must be a list of identifiers")
    for key in ("setup", "prefix", "language"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise BadTests(f"'tests.{key}' must be a string")
    return TestSuite(
        stdio=pairs, calls=tuple(calls), setup=data.get("setup") or "", prefix=data.get("prefix") or "",
        names=tuple(names), language=_language(data.get("language")),
    )


def _language(value: Any) -> str | None:
    if value is None:
        return None
    name = str(value).strip().lower()
    aliases = {"python": "python", "python3": "python", "py": "python", "py3": "python",
               "cpp": "cpp", "c++": "cpp", "cxx": "cpp", "cc": "cpp", "c++17": "cpp"}
    if name not in aliases:
        raise BadTests(f"unsupported language {value!r} (python and cpp are)")
    return aliases[name]


def _open_r1(value: Any) -> TestSuite:
    data = _json(value, "verification_info")
    if not isinstance(data, Mapping) or not isinstance(data.get("test_cases"), list):
        raise BadTests("'verification_info' needs a 'test_cases' list")
    cases = data["test_cases"]
    pairs = []
    for case in cases:
        if not isinstance(case, Mapping) or "input" not in case or "output" not in case:
            raise BadTests("a 'verification_info' test case needs 'input' and 'output'")
        if case.get("type", "stdin_stdout") != "stdin_stdout":
            raise BadTests(f"test case type {case.get('type')!r} is not supported (stdin_stdout is)")
        pairs.append((_text(case["input"], "an input"), _text(case["output"], "an output")))
    return TestSuite(stdio=tuple(pairs), language=_language(data.get("language")))


def _apps(value: Any) -> TestSuite:
    data = _json(value, "input_output")
    if not isinstance(data, Mapping) or "inputs" not in data or "outputs" not in data:
        raise BadTests("'input_output' needs 'inputs' and 'outputs'")
    fn_name = data.get("fn_name")
    if fn_name is None:
        return TestSuite(stdio=_pairs(data["inputs"], data["outputs"], "input_output"), language="python")
    if not isinstance(fn_name, str) or not fn_name.isidentifier():
        raise BadTests(f"'input_output.fn_name' is not a function name: {fn_name!r}")
    inputs, outputs = data["inputs"], data["outputs"]
    if not isinstance(inputs, list) or not isinstance(outputs, list) or len(inputs) != len(outputs):
        raise BadTests("'input_output' needs lists of inputs and outputs of the same length")
    calls = []
    for args, expected in zip(inputs, outputs):
        if not isinstance(args, list):
            raise BadTests("a call-based APPS input must be a list of arguments")
        calls.append(f"assert _apps_equal({fn_name}(*{args!r}), {expected!r})")
    return TestSuite(calls=tuple(calls), setup=_APPS_SETUP, names=(fn_name,), language="python")


def _code_contests(public: Any, private: Any) -> TestSuite:
    pairs: list[tuple[str, str]] = []
    for column, value in (("public_tests", public), ("private_tests", private)):
        if value is None:
            continue
        data = _json(value, column)
        if not isinstance(data, Mapping) or "input" not in data or "output" not in data:
            raise BadTests(f"{column!r} needs 'input' and 'output' lists")
        pairs.extend(_pairs(data["input"], data["output"], column))
    return TestSuite(stdio=tuple(pairs))


def _mbpp(tests: Any, setup: Any, imports: Any) -> TestSuite:
    tests = _json(tests, "test_list") if isinstance(tests, str) and tests.lstrip().startswith("[") else tests
    if isinstance(tests, str):
        tests = [tests]
    if not isinstance(tests, Sequence) or not all(isinstance(t, str) for t in tests):
        raise BadTests("'test_list' must be a list of assert statements")
    lines: list[str] = []
    if imports:
        if not isinstance(imports, Sequence) or not all(isinstance(t, str) for t in imports):
            raise BadTests("'test_imports' must be a list of import statements")
        lines.extend(imports)
    if setup:
        if not isinstance(setup, str):
            raise BadTests("'test_setup_code' must be a string")
        lines.append(setup)
    return TestSuite(calls=tuple(t for t in tests if t.strip()), setup="\n".join(lines), language="python")


def _human_eval(test: Any, entry_point: Any, prompt: Any) -> TestSuite:
    if not isinstance(test, str) or "def check" not in test:
        raise BadTests("'test' must define check(candidate)")
    if not isinstance(entry_point, str) or not entry_point.isidentifier():
        raise BadTests(f"'entry_point' is not a function name: {entry_point!r}")
    prompt = prompt if isinstance(prompt, str) else ""
    return TestSuite(
        calls=(f"check({entry_point})",), setup=prompt + "\n" + test, prefix=prompt, names=(entry_point,),
        language="python",
    )


def load_tests(row: Mapping[str, Any]) -> TestSuite | None:
    """The row's tests in the canonical form, or ``None`` when the row has no test column.

    Args:
        row: The row's columns (any of :data:`TEST_COLUMNS`).

    Raises:
        BadTests: a test column is present but unusable (the data's fault).

    >>> load_tests({"test_list": ["assert f(1) == 2"]}).calls
    ('assert f(1) == 2',)
    >>> load_tests({"input_output": '{"inputs": [[1, 2]], "outputs": [3], "fn_name": "add"}'}).names
    ('add',)
    >>> load_tests({"solution": "4"}) is None
    True
    """
    get = row.get
    if get("tests") is not None:
        suite = _canonical(get("tests"))
    elif get("verification_info") is not None:
        suite = _open_r1(get("verification_info"))
    elif get("input_output") is not None:
        suite = _apps(get("input_output"))
    elif get("public_tests") is not None or get("private_tests") is not None:
        suite = _code_contests(get("public_tests"), get("private_tests"))
    elif get("test_list") is not None:
        suite = _mbpp(get("test_list"), get("test_setup_code"), get("test_imports"))
    elif get("test") is not None and get("entry_point") is not None:
        # TRL passes a dataset's "prompt" column as prompts=, not under its own name
        prompt = get("prompt") if get("prompt") is not None else get("prompts")
        suite = _human_eval(get("test"), get("entry_point"), prompt)
    else:
        return None
    if not len(suite):
        raise BadTests("the row has no test cases")
    if len(suite) > MAX_CASES:
        raise BadTests(f"the row has {len(suite)} test cases (at most {MAX_CASES})")
    return suite
