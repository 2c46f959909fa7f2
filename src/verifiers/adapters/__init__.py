"""Adapters for trainers that do not call rewards the way TRL does.

* :mod:`verifiers.adapters.verl`: ``compute_score`` and ``compute_score_batch`` for verl's
  ``custom_reward_function`` (naive and batch reward managers).
* :mod:`verifiers.adapters.openrlhf`: ``reward_func`` for OpenRLHF's ``--remote_rm_url file.py``.

TRL needs no adapter: pass the rewards themselves (or :class:`verifiers.AsyncReward`).
"""

__all__: list[str] = []
