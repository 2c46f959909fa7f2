"""Code execution: unit-test rewards run in a local sandbox (Python and C++).

* :mod:`~verifiers.code.cases`: test formats (HumanEval, MBPP, APPS, CodeContests, open-r1)
  loaded into one canonical :class:`~verifiers.code.cases.TestSuite`;
* :mod:`~verifiers.code.extract`: the program in a completion;
* :mod:`~verifiers.code.executor`: the :class:`Executor` seam and a fake;
* :mod:`~verifiers.code.sandbox`: the local sandbox (bubblewrap) and its harness;
* :mod:`~verifiers.code.compare`: output comparison;
* :mod:`~verifiers.code.reward`: :class:`CodeReward` and ``code_reward``.
"""

from verifiers.code.executor import ExecResult, Executor, FakeExecutor, Limits, Program
from verifiers.code.reward import CodeConfig, CodeReward, code_reward, grade_code
from verifiers.code.sandbox import LocalSandbox

__all__ = [
    "CodeConfig", "CodeReward", "ExecResult", "Executor", "FakeExecutor", "Limits", "LocalSandbox", "Program",
    "code_reward", "grade_code",
]
