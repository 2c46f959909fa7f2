"""OpenRLHF: ``reward_func`` for ``--remote_rm_url /path/to/this/file.py``.

OpenRLHF loads a reward function from a Python file given as ``--remote_rm_url``; give it
this file's path::

    --remote_rm_url "$(python -c 'import verifiers.adapters.openrlhf as m; print(m.__file__)')"
    --label_key answer

Which rewards it applies, and what a row without a usable reference gets, come from the
environment (``VERIFIERS_OPENRLHF_REWARDS``, ``VERIFIERS_OPENRLHF_NONE``,
``VERIFIERS_OPENRLHF_CONFIG``: see :class:`OpenRLHFConfig` and docs/trainers/openrlhf.md).
torch (the ``openrlhf`` extra) is imported on the first call. This file only re-exports the
implementation, so the function OpenRLHF loads is the importable, picklable one.
"""

from verifiers.adapters._openrlhf import END_TOKENS, OpenRLHFConfig, reward_func, score_queries

__all__ = ["END_TOKENS", "OpenRLHFConfig", "reward_func", "score_queries"]
