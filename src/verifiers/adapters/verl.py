"""verl: ``compute_score`` and ``compute_score_batch`` for ``custom_reward_function``.

Point verl at this module (``pkg://`` keeps the functions picklable by reference)::

    custom_reward_function.path=pkg://verifiers.adapters.verl
    custom_reward_function.name=compute_score          # reward_model.reward_manager=naive
    custom_reward_function.name=compute_score_batch    # reward_model.reward_manager=batch

Math data sources go to ``accuracy`` and code ones to ``code``
(:data:`~verifiers.adapters._verl.DEFAULT_ROUTES`); change the routing with
``custom_reward_function.reward_kwargs`` (see :func:`compute_score`). The file may also be
given by path: it only re-exports the implementation, so what verl loads is the same
importable, picklable functions.
"""

from verifiers.adapters._verl import DEFAULT_ROUTES, compute_score, compute_score_async, compute_score_batch

__all__ = ["DEFAULT_ROUTES", "compute_score", "compute_score_async", "compute_score_batch"]
