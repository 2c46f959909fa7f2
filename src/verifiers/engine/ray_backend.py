"""The Ray backend: grade on Ray actors, on this machine or on a cluster (the ``ray`` extra).

Each of ``jobs`` actors keeps the function it was sent (loaded before any deadline starts, as
in :class:`~verifiers.engine.pool.ProcessPool`) and grades one call at a time, so the parent
knows when each row started. With a ``timeout``, rows go one per call and an actor that
overruns its row's deadline is killed and replaced, that row's outcome :class:`TimedOut`;
without one, rows go in chunks. An actor that dies (its node lost, a segfault, an OOM kill)
is replaced; the rows of its chunk are graded again one by one, and the row that was running
alone when it died is :class:`Crashed` (``on_crash="skip"``) or raises
:class:`~verifiers.errors.WorkerCrashed`.

Ray is imported on first use; without it, :class:`~verifiers.errors.BackendUnavailable` names
the ``pip install`` that fixes it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

from verifiers.engine.backends import Crashed, TimedOut
from verifiers.engine.pool import check_options
from verifiers.errors import WorkerCrashed, require

__all__ = ["Ray"]

T = TypeVar("T")
R = TypeVar("R")

_ACTOR: Any = None  # the ray.remote actor class, made on first use


class _Grader:
    """The actor: keeps functions by key, applies one to a list of items."""

    def __init__(self) -> None:
        self.functions: dict[bytes, Callable[[Any], Any]] = {}

    def load(self, key: bytes, box: list[Any]) -> bool:
        if key not in self.functions:
            import ray

            while len(self.functions) >= 8:
                self.functions.pop(next(iter(self.functions)))
            self.functions[key] = ray.get(box[0])
        return True

    def run(self, key: bytes, items: list[Any]) -> list[tuple[bool, Any]]:
        fn = self.functions[key]
        out: list[tuple[bool, Any]] = []
        for item in items:
            try:
                out.append((True, fn(item)))
            except Exception as exc:  # a bug in the function: the parent raises it
                out.append((False, exc))
        return out


def _ray() -> Any:
    return require("ray", "ray", "the Ray backend")


def _actor_class() -> Any:
    global _ACTOR
    if _ACTOR is None:
        _ACTOR = _ray().remote(num_cpus=1)(_Grader)
    return _ACTOR


class Ray:
    """Grade on Ray actors, each row with its own deadline.

    Args:
        jobs: Number of actors (default: the CPUs Ray reports for the cluster).
        timeout: Seconds one row may take once its actor has started it; ``None``: no deadline
            (rows then go to the actors in chunks).
        on_crash: An actor that dies is an infrastructure fault: ``"raise"`` raises
            :class:`~verifiers.errors.WorkerCrashed`; ``"skip"`` makes that row's outcome
            :class:`Crashed` (a reward turns it into ``None``, status ``infra_error``).
        address: The cluster to join when Ray is not initialised yet (``"auto"``: the local
            cluster started with ``ray start``; ``"ray://head:10001"``: Ray Client); ``None``:
            the ``RAY_ADDRESS`` environment variable, else a new local Ray.
        init: Other keyword arguments for :func:`ray.init` (e.g. ``num_cpus``, ``runtime_env``).

    The actors start on first use and serve every later call (calls from several threads take
    turns); :meth:`close` kills them. A pickled copy starts its own.
    """

    def __init__(
        self,
        jobs: int | None = None,
        *,
        timeout: float | None = None,
        on_crash: Literal["raise", "skip"] = "raise",
        address: str | None = None,
        init: dict[str, Any] | None = None,
    ) -> None:
        check_options(jobs, timeout, on_crash)
        self.jobs = jobs
        self.timeout = timeout
        self.on_crash = on_crash
        self.address = address
        self.init = dict(init or {})
        self._actors: list[Any] = []
        self._loaded: dict[Any, set[bytes]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Ray(jobs={self.jobs}, timeout={self.timeout}, on_crash={self.on_crash!r})"

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_actors"], state["_loaded"] = [], {}
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Kill the actors (a later :meth:`map` starts new ones)."""
        with self._lock:
            if self._actors:
                ray = _ray()
                for actor in self._actors:
                    ray.kill(actor, no_restart=True)
            self._actors.clear()
            self._loaded.clear()

    def __enter__(self) -> Ray:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- mapping -----------------------------------------------------------------------------------
    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R | TimedOut | Crashed]:
        if not items:
            return []
        ray = _ray()
        if not ray.is_initialized():
            ray.init(address=self.address, ignore_reinit_error=True, **self.init)
        import pickle

        key = hashlib.blake2b(pickle.dumps(fn, protocol=pickle.HIGHEST_PROTOCOL), digest_size=16).digest()
        with self._lock:
            return self._map(ray, key, ray.put(fn), list(items))

    def _jobs(self, ray: Any) -> int:
        if self.jobs is not None:
            return self.jobs
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def _new_actor(self) -> Any:
        actor = _actor_class().remote()
        self._actors.append(actor)
        self._loaded[actor] = set()
        return actor

    def _drop(self, ray: Any, actor: Any) -> None:
        ray.kill(actor, no_restart=True)
        if actor in self._actors:
            self._actors.remove(actor)
        self._loaded.pop(actor, None)

    def _map(self, ray: Any, key: bytes, fn_ref: Any, items: list[Any]) -> list[Any]:
        n = len(items)
        jobs = self._jobs(ray)
        while len(self._actors) < min(jobs, n):
            self._new_actor()
        size = 1 if self.timeout is not None else max(1, min(64, n // (len(self._actors) * 4)))
        pending: deque[list[int]] = deque([list(range(i, min(i + size, n))) for i in range(0, n, size)])
        out: list[Any] = [None] * n
        idle = list(self._actors)
        # ref -> (actor, chunk or None for a load, started)
        inflight: dict[Any, tuple[Any, list[int] | None, float]] = {}
        load_failures = 0
        dead = (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError)
        try:
            while pending or inflight:
                while idle and pending:
                    actor = idle.pop()
                    if key not in self._loaded[actor]:
                        inflight[actor.load.remote(key, [fn_ref])] = (actor, None, time.monotonic())
                        continue
                    rows = pending.popleft()
                    inflight[actor.run.remote(key, [items[i] for i in rows])] = (actor, rows, time.monotonic())
                wait = None
                if self.timeout is not None:
                    starts = [s for _, c, s in inflight.values() if c is not None]
                    if starts:
                        wait = max(0.0, min(starts) + self.timeout - time.monotonic()) + 0.01
                ready, _ = ray.wait(list(inflight), num_returns=1, timeout=wait)
                for ref in ready:
                    actor, chunk, _ = inflight.pop(ref)
                    try:
                        results = ray.get(ref)
                    except dead as exc:
                        self._drop(ray, actor)
                        idle.append(self._new_actor())
                        if chunk is None:
                            load_failures += 1
                            if load_failures > 3:
                                raise WorkerCrashed(f"Ray actors die while loading the function: {exc}") from None
                        elif len(chunk) > 1:
                            pending.extendleft([i] for i in reversed(chunk))  # find the row alone
                        elif self.on_crash == "skip":
                            out[chunk[0]] = Crashed(f"the Ray actor died: {type(exc).__name__}")
                        else:
                            message = f"a Ray actor died grading row {chunk[0]}: {exc}"
                            raise WorkerCrashed(message, index=chunk[0]) from None
                        continue
                    if chunk is None:
                        self._loaded[actor].add(key)
                    else:
                        for i, (ok, value) in zip(chunk, results):
                            if not ok:
                                raise value
                            out[i] = value
                    idle.append(actor)
                if self.timeout is not None:
                    now = time.monotonic()
                    for ref, (actor, running, started) in list(inflight.items()):
                        if running is not None and now - started > self.timeout:
                            del inflight[ref]
                            self._drop(ray, actor)
                            idle.append(self._new_actor())
                            out[running[0]] = TimedOut(self.timeout)
        except BaseException:
            for actor, _, _ in inflight.values():  # a row still running: do not leave it behind
                self._drop(ray, actor)
            raise
        return out
