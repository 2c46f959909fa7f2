"""``verify serve``: a reward server that speaks OpenRLHF's remote reward-model protocol.

``POST /get_reward`` takes ``{"query": [...], "prompts": [...], "labels": [...]}`` (OpenRLHF's
``--remote_rm_url http://host:port/get_reward``; ``prompts`` and ``labels`` optional) and answers
``{"rewards": [...], "scores": [...], "extra_logs": {"NAME/STATUS": [...], ...}}``, one value
per query, exactly as :func:`verifiers.adapters.openrlhf.reward_func` computes them.
``GET /health`` answers ``{"status": "ok", ...}``.

Requests that arrive together are graded together: a batcher gathers them for a few
milliseconds (or until ``max_batch`` rows), grades the batch off the event loop (on the process
pool when ``jobs`` > 0, each row with its deadline), and answers each request with its rows.
At most ``max_concurrency`` batches are graded at once; requests beyond ``max_pending`` rows
waiting get 503. Bad requests get a 4xx with a JSON ``{"error": ...}`` and the server keeps
serving: 400 (not JSON), 413 (body over ``max_body_bytes``, more than ``max_queries``
queries), 415 (not JSON content), 422 (wrong shape, lists of different lengths, a row without a
usable reference when ``none`` is ``"raise"``). SIGINT/SIGTERM stop accepting, finish the
requests in flight, then stop the workers.

Built on Starlette and uvicorn (the ``serve`` extra), imported when the server starts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from verifiers.adapters._common import (
    STATUSES,
    Options,
    Spec,
    add_prompts,
    build,
    check_none,
    columns_for,
    fill_none,
    parse_options,
    parse_spec,
)
from verifiers.adapters._openrlhf import END_TOKENS, _score_parts, response_of
from verifiers.errors import ConfigError, InputError, require

__all__ = ["ServeConfig", "add_serve_parser", "create_app", "serve"]


@dataclass(frozen=True)
class ServeConfig:
    """Settings of the reward server.

    Args:
        rewards: The rewards and weights (``(("accuracy", 1.0),)``); a name may be
            ``module:attribute``, a reward of your own (a :class:`~verifiers.Router`, a
            ``ModelReward``).
        options: Config options of the rewards by name (``(("model", "path", "/rm"),)``).
        none: What a row without a usable reference gets: ``"raise"`` (the request gets 422)
            or a number.
        jobs: Worker processes, or Ray actors (0: grade in the server's threads, no deadline).
        timeout: Seconds per row on the workers (needs ``jobs`` > 0).
        backend: ``"pool"`` (a :class:`~verifiers.engine.ProcessPool` on this machine) or
            ``"ray"`` (:class:`~verifiers.engine.Ray` actors; the ``ray`` extra, ``RAY_ADDRESS``
            to join a cluster), used when ``jobs`` > 0.
        max_batch: Rows graded together at most.
        batch_wait: Seconds the batcher waits for more requests before grading.
        max_concurrency: Batches graded at once.
        max_pending: Rows waiting to be graded before new requests get 503.
        max_body_bytes: Largest request body.
        max_queries: Most queries in one request.
        end_tokens: Tokens removed from the end of each response.
    """

    rewards: Spec = (("accuracy", 1.0),)
    options: Options = ()
    none: Any = "raise"
    jobs: int = 0
    timeout: float | None = None
    backend: str = "pool"
    max_batch: int = 1024
    batch_wait: float = 0.005
    max_concurrency: int = 2
    max_pending: int = 100_000
    max_body_bytes: int = 64 * 1024 * 1024
    max_queries: int = 8192
    end_tokens: tuple[str, ...] = END_TOKENS

    def __post_init__(self) -> None:
        positive = ("max_batch", "max_concurrency", "max_pending", "max_body_bytes", "max_queries")
        for name in positive:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, not {value!r}")
        if isinstance(self.jobs, bool) or not isinstance(self.jobs, int) or self.jobs < 0:
            raise ConfigError(f"jobs must be 0 or more, not {self.jobs!r}")
        if not (isinstance(self.batch_wait, (int, float)) and 0 <= self.batch_wait < 10):
            raise ConfigError(f"batch_wait must be between 0 and 10 seconds, not {self.batch_wait!r}")
        if self.backend not in ("pool", "ray"):
            raise ConfigError(f"backend must be 'pool' or 'ray', not {self.backend!r}")
        if self.timeout is not None and self.jobs == 0:
            raise ConfigError("a per-row timeout needs worker processes (jobs > 0)")
        check_none(self.none)


class HTTPError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class _Job:
    texts: list[Any]
    rows: list[dict[str, Any]]
    future: asyncio.Future[Any]


@dataclass
class _State:
    """The server's moving parts, created at startup (in the server's event loop)."""

    queue: asyncio.Queue[_Job] = field(default_factory=asyncio.Queue)
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))
    pending: int = 0
    served: int = 0
    batches: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)


class Server:
    """The batcher and the grading, independent of the web framework."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        reward = build(config.rewards, config.options)
        self.pool: Any = None
        if config.jobs:
            import copy

            if config.backend == "ray":
                from verifiers.engine.ray_backend import Ray

                self.pool = Ray(jobs=config.jobs, timeout=config.timeout)
            else:
                from verifiers.engine.pool import ProcessPool

                self.pool = ProcessPool(jobs=config.jobs, timeout=config.timeout)
            reward = copy.copy(reward)
            reward.backend = self.pool
        self.reward = reward
        self.state: _State | None = None
        self._runner: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        self.state = _State(slots=asyncio.Semaphore(self.config.max_concurrency))
        self._runner = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Finish what is queued and in flight, then stop the workers."""
        state = self.state
        if state is not None:
            while state.pending and self._runner is not None and not self._runner.done():
                await asyncio.sleep(0.01)
            if state.tasks:
                await asyncio.gather(*state.tasks, return_exceptions=True)
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        if self.pool is not None:
            await asyncio.to_thread(self.pool.close)

    async def grade(self, payload: Any) -> dict[str, Any]:
        """Answer one request's payload (raises :class:`HTTPError` for a bad one)."""
        state = self.state
        assert state is not None, "the server has not started"
        texts, rows = self._parse(payload)
        if not texts:
            return {"rewards": [], "scores": [], "extra_logs": {}}
        if state.pending + len(texts) > self.config.max_pending:
            raise HTTPError(503, f"overloaded: {state.pending} rows waiting; retry later")
        job = _Job(texts, rows, asyncio.get_running_loop().create_future())
        state.pending += len(texts)
        await state.queue.put(job)
        verdicts, parts = await job.future
        try:
            rewards = [fill_none(v, self.config.none, f"query {i}") for i, v in enumerate(verdicts)]
        except InputError as exc:
            raise HTTPError(422, str(exc)) from None
        logs = {
            f"{name}/{status}": [1.0 if v.status.value == status else 0.0 for v in part]
            for name, part in parts.items()
            for status in STATUSES
        }
        return {"rewards": rewards, "scores": rewards, "extra_logs": logs}

    def _parse(self, payload: Any) -> tuple[list[Any], list[dict[str, Any]]]:
        if not isinstance(payload, dict):
            raise HTTPError(422, f"the body must be a JSON object, not {type(payload).__name__}")
        queries = payload.get("query", payload.get("queries"))
        if not isinstance(queries, list):
            raise HTTPError(422, "'query' must be a list of strings (prompt + response)")
        if len(queries) > self.config.max_queries:
            raise HTTPError(413, f"{len(queries)} queries in one request; at most {self.config.max_queries}")
        if not all(isinstance(q, str) for q in queries):
            raise HTTPError(422, "every query must be a string")
        n = len(queries)
        prompts = payload.get("prompts")
        labels = payload.get("labels")
        for name, values in (("prompts", prompts), ("labels", labels)):
            if values is not None and (not isinstance(values, list) or len(values) != n):
                raise HTTPError(422, f"'{name}' must be a list with one value per query ({n})")
        prompts = prompts if prompts is not None else [None] * n
        labels = labels if labels is not None else [None] * n
        texts = [response_of(q, p, self.config.end_tokens) for q, p in zip(queries, prompts)]
        rows = [columns_for(self.reward, label) for label in labels]
        add_prompts(self.reward, rows, prompts)
        return texts, rows

    async def _run(self) -> None:
        state = self.state
        assert state is not None
        loop = asyncio.get_running_loop()
        while True:
            first = await state.queue.get()
            jobs, rows = [first], len(first.texts)
            deadline = loop.time() + self.config.batch_wait
            while rows < self.config.max_batch:
                left = deadline - loop.time()
                try:
                    job = state.queue.get_nowait() if left <= 0 else await asyncio.wait_for(state.queue.get(), left)
                except (asyncio.TimeoutError, asyncio.QueueEmpty):
                    break
                jobs.append(job)
                rows += len(job.texts)
            await state.slots.acquire()
            state.batches += 1
            task = asyncio.create_task(self._grade_batch(jobs))
            state.tasks.add(task)
            task.add_done_callback(state.tasks.discard)

    async def _grade_batch(self, jobs: list[_Job]) -> None:
        state = self.state
        assert state is not None
        try:
            texts = [t for job in jobs for t in job.texts]
            rows = [r for job in jobs for r in job.rows]
            names = (*self.reward.columns, *self.reward.optional_columns)
            columns = {n: [row.get(n) for row in rows] for n in names if any(n in row for row in rows)}
            try:
                total, parts = await asyncio.to_thread(_score_parts, self.reward, texts, columns)
            except Exception as exc:  # infrastructure (a crashed worker) or a bug: every job of the batch
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(HTTPError(503, f"grading failed: {type(exc).__name__}: {exc}"))
                state.failed += len(jobs)
                return
            start = 0
            for job in jobs:
                end = start + len(job.texts)
                if not job.future.done():
                    job.future.set_result((total[start:end], {k: v[start:end] for k, v in parts.items()}))
                start = end
            state.served += len(jobs)
        finally:
            state.pending -= sum(len(job.texts) for job in jobs)
            state.slots.release()

    def health(self) -> dict[str, Any]:
        state = self.state
        return {
            "status": "ok",
            "rewards": self.reward.signature(),
            "backend": repr(self.pool) if self.pool is not None else "threads",
            "pending_rows": state.pending if state else 0,
            "requests_served": state.served if state else 0,
            "batches_graded": state.batches if state else 0,
            "uptime_s": round(time.monotonic() - state.started, 3) if state else 0.0,
        }


def create_app(config: ServeConfig) -> Any:
    """The ASGI application (Starlette) for ``config``."""
    require("starlette", "serve", "verify serve")
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    server = Server(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        await server.start()
        try:
            yield
        finally:
            await server.stop()

    async def get_reward(request: Request) -> JSONResponse:
        try:
            payload = await _read_json(request, config.max_body_bytes)
            return JSONResponse(await server.grade(payload))
        except HTTPError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse(server.health())

    async def http_error(request: Request, exc: Exception) -> JSONResponse:  # 404, 405: JSON too
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    app = Starlette(
        routes=[Route("/get_reward", get_reward, methods=["POST"]), Route("/health", health, methods=["GET"])],
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error},
    )
    app.state.server = server
    return app


async def _read_json(request: Any, limit: int) -> Any:
    content_type = request.headers.get("content-type", "application/json")
    if "json" not in content_type and "text/plain" not in content_type:
        raise HTTPError(415, f"send JSON (content-type application/json), not {content_type!r}")
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise HTTPError(413, f"the body is {declared} bytes; at most {limit}")
        except ValueError:
            raise HTTPError(400, "a malformed Content-Length") from None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPError(413, f"the body exceeds {limit} bytes")
    try:
        return json.loads(body)
    except RecursionError:
        raise HTTPError(400, "the JSON is nested too deeply") from None
    except ValueError as exc:
        raise HTTPError(400, f"the body is not valid JSON: {exc}") from None


def serve(config: ServeConfig, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    """Run the server until SIGINT or SIGTERM (uvicorn finishes the requests in flight)."""
    uvicorn: Any = require("uvicorn", "serve", "verify serve")
    app = create_app(config)
    uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=30)


# -- the `verify serve` subcommand ------------------------------------------------------------------


def add_serve_parser(sub: Any) -> None:
    """Register ``verify serve`` on the CLI's subparsers."""
    parser = sub.add_parser(
        "serve",
        help="serve rewards over HTTP (OpenRLHF's remote reward-model protocol)",
        description="A reward server for OpenRLHF's --remote_rm_url http://HOST:PORT/get_reward: POST "
        "/get_reward with {query, prompts, labels} answers {rewards, scores, extra_logs}; GET /health. "
        "Needs: pip install 'reasoning-verifiers[serve]'.",
    )
    parser.add_argument(
        "-r", "--reward", action="append", metavar="NAME[:WEIGHT]",
        help="a reward to apply (repeatable; default: accuracy). The total is the weighted sum. NAME is a "
        "registered name or module:attribute (a Router, a ModelReward of your own)",
    )
    parser.add_argument(
        "--set", action="append", metavar="REWARD.OPTION=VALUE",
        help="set a reward's config option, e.g. accuracy.low=-1 (JSON values)",
    )
    parser.add_argument("--model", metavar="PATH", help="the reward model of the 'model' reward (-r model)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument("-j", "--jobs", type=int, default=0, help="worker processes (default: 0, in threads)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per row on the workers")
    parser.add_argument(
        "--backend", choices=("pool", "ray"), default="pool",
        help="where the --jobs workers run: processes on this machine (pool, default) or Ray actors (ray)",
    )
    parser.add_argument(
        "--none", default="raise",
        help="a row without a usable reference: raise (the request gets 422, default) or a number",
    )
    parser.add_argument("--max-batch", type=int, default=1024, help="rows graded together at most")
    parser.add_argument("--batch-wait-ms", type=float, default=5.0, help="ms to gather requests into a batch")
    parser.add_argument("--max-concurrency", type=int, default=2, help="batches graded at once")
    parser.add_argument("--max-body-mb", type=float, default=64.0, help="largest request body, in MB")
    parser.add_argument("--max-queries", type=int, default=8192, help="most queries in one request")
    parser.add_argument("--log-level", default="info", help="uvicorn's log level (default: info)")
    parser.set_defaults(func=cmd_serve)


def config_from_args(args: argparse.Namespace) -> ServeConfig:
    none: Any = args.none
    if none != "raise":
        try:
            none = float(none)
        except ValueError:
            raise ConfigError(f"--none must be 'raise' or a number, not {none!r}") from None
        if not math.isfinite(none):
            raise ConfigError("--none must be finite")
    options = list(parse_options(args.set or []))
    if args.model:
        options.append(("model", "path", args.model))
    return ServeConfig(
        rewards=parse_spec(args.reward or ["accuracy"], "--reward"),
        options=tuple(options),
        none=none,
        jobs=args.jobs,
        timeout=args.timeout,
        backend=args.backend,
        max_batch=args.max_batch,
        batch_wait=args.batch_wait_ms / 1000,
        max_concurrency=args.max_concurrency,
        max_body_bytes=int(args.max_body_mb * 1024 * 1024),
        max_queries=args.max_queries,
    )


def cmd_serve(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    build(config.rewards, config.options)  # an unknown reward is a usage error before the server starts
    serve(config, host=args.host, port=args.port, log_level=args.log_level)
    return 0

