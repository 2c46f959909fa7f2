"""``RemoteReward``: a reward scored by an HTTP reward server that speaks OpenRLHF's protocol.

Each batch is cut into requests of ``batch_size`` rows, sent ``concurrency`` at a time::

    POST url  {"query": [prompt + response, ...], "prompts": [prompt, ...], "labels": [label, ...]}
    200       {"rewards": [...], "scores": [...], "extra_logs": {"NAME/STATUS": [...], ...}}

which is what OpenRLHF's ``--remote_rm_url http://host:port/get_reward`` sends and what
``verify serve`` answers (:mod:`verifiers.serve`). Only ``rewards`` is read (a bare JSON list
is accepted too, as older servers answer); ``extra_logs`` of ``verify serve`` (one 0/1
indicator per status) gives each row its status, otherwise the status is ``scored``.

Who is at fault decides the value (``docs/contract.md``, ``docs/rewards/remote.md``):

* the server cannot be reached, times out, answers 408, 429 or 5xx: retried ``retries`` times
  with exponential backoff and jitter, then an infrastructure fault:
  :class:`~verifiers.errors.InfrastructureError` (``on_error="raise"``) or ``None`` with status
  ``infra_error`` (``on_error="skip"``). Never 0.0. An answer with the wrong number of rewards,
  or values that are not finite numbers or lie outside ``[low, high]``, is one too (not retried).
* the server answers 422 (``verify serve``: a row without a usable reference): the data's
  fault. The request is split in halves until the rejected rows are found; each gets ``None``
  with status ``malformed_input`` (``on_reject="skip"``, default), or
  :class:`~verifiers.errors.InputError` with the server's message (``on_reject="raise"``).
  413 (request too large) splits the request too.
* any other 4xx (400, 401, 403, 404, 405, 415, ...): the request can never succeed, so it is
  a :class:`~verifiers.errors.ConfigError` (wrong URL, credentials or server), never retried
  and never skipped.

HTTP goes through the standard library (:mod:`urllib.request`): a new connection per request,
nothing held in the reward between calls, so it pickles and is safe to call from many threads.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import math
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Literal

from verifiers._version import __version__
from verifiers.adapters._common import _plain
from verifiers.base import Batch, BatchReward, RewardConfig, Scores, _sig_value
from verifiers.errors import ConfigError, InfrastructureError, InputError
from verifiers.extract.messages import prompt_text
from verifiers.types import Fault, Status, Verdict

__all__ = ["RemoteConfig", "RemoteReward"]

#: The largest answer read from a server (a bound on what a broken server can make us parse).
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
#: Statuses worth retrying: the server is busy, restarting or timed out.
RETRY_STATUSES = frozenset({408, 429})
#: Statuses that reject rows (the data's fault), or a request that is too large (split it).
REJECT_STATUSES = frozenset({413, 422})


@dataclass(frozen=True, kw_only=True)
class RemoteConfig(RewardConfig):
    """Config of :class:`RemoteReward`.

    Args:
        url: The endpoint, e.g. ``"http://gpu-box:8000/get_reward"`` (required).
        low: The lowest value the server answers (checked: see ``out_of_range``).
        high: The highest value the server answers (``verify serve -r accuracy -r format:0.5``
            answers up to 1.5).
        label_column: The dataset column sent as ``labels`` (a row where it is null gets
            ``None``, ``missing_column``, and is not sent); ``None`` sends no labels (servers
            whose rewards need no reference).
        prompt_column: The column holding the prompts (TRL passes ``prompts``: strings or chat
            messages, whose contents are joined with newlines); ``None`` or absent: no prompt.
        batch_size: Rows per request.
        concurrency: Requests in flight at once (threads).
        timeout: Seconds for connecting, and for each read of the answer, per attempt.
        retries: Attempts after the first, for connection errors, timeouts, 408, 429 and 5xx.
        backoff: Seconds before the first retry; doubled at each retry, up to ``max_backoff``,
            with jitter (a random half of it). A ``Retry-After`` header is honoured up to
            ``max_backoff``.
        max_backoff: The longest wait between attempts.
        headers: Extra HTTP headers (a dict or pairs), e.g. ``{"Authorization": "Bearer ..."}``.
            Their values never appear in the signature or the repr.
        on_error: After the retries, an infrastructure fault ``"raise"`` s
            :class:`~verifiers.errors.InfrastructureError` or ``"skip"`` s: ``None`` with
            status ``infra_error`` for the rows of the failed request.
        on_reject: Rows the server rejects (422): ``"skip"``: ``None`` with status
            ``malformed_input``; ``"raise"``: :class:`~verifiers.errors.InputError`.
        out_of_range: A value outside ``[low, high]`` is an infrastructure fault (``"error"``)
            or is clipped to it (``"clip"``).
        reward_name: The name TRL logs the reward under (its ``__name__``; not ``name``, which
            :func:`~verifiers.registry.get_reward` takes for the registry's name).
    """

    url: str = ""
    label_column: str | None = "solution"
    prompt_column: str | None = "prompts"
    batch_size: int = 64
    concurrency: int = 4
    timeout: float = 60.0
    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 30.0
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    on_error: Literal["raise", "skip"] = "raise"
    on_reject: Literal["skip", "raise"] = "skip"
    out_of_range: Literal["error", "clip"] = "error"
    reward_name: str = "remote"

    def __post_init__(self) -> None:
        if isinstance(self.headers, Mapping):
            object.__setattr__(self, "headers", tuple(self.headers.items()))
        elif isinstance(self.headers, list):
            object.__setattr__(self, "headers", tuple(tuple(pair) for pair in self.headers))
        super().__post_init__()
        pairs = self.headers if isinstance(self.headers, tuple) else None
        if pairs is None or not all(isinstance(p, tuple) and len(p) == 2 for p in pairs):
            raise ConfigError(f"RemoteConfig.headers must be a dict of header names to values, not {self.headers!r}")
        for key, value in pairs:
            if not (isinstance(key, str) and isinstance(value, str) and key.strip()):
                raise ConfigError("RemoteConfig.headers must map header names to string values")
            if any(c in key + value for c in "\r\n\0"):
                raise ConfigError(f"RemoteConfig.headers: {key!r} contains a line break")
        if self.url:
            parts = urllib.parse.urlsplit(self.url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigError(f"RemoteConfig.url must be an http:// or https:// URL, not {_public_url(self.url)!r}")
        for name in ("batch_size", "concurrency"):
            if getattr(self, name) < 1:
                raise ConfigError(f"RemoteConfig.{name} must be at least 1, not {getattr(self, name)}")
        if self.retries < 0:
            raise ConfigError(f"RemoteConfig.retries must be 0 or more, not {self.retries}")
        if not (math.isfinite(self.timeout) and self.timeout > 0):
            raise ConfigError(f"RemoteConfig.timeout must be a positive number of seconds, not {self.timeout}")
        for name in ("backoff", "max_backoff"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise ConfigError(f"RemoteConfig.{name} must be 0 or more seconds, not {getattr(self, name)}")
        for name in ("label_column", "prompt_column", "reward_name"):
            if getattr(self, name) == "":
                raise ConfigError(f"RemoteConfig.{name} must not be empty")


class RemoteReward(BatchReward[RemoteConfig]):
    """A reward computed by a remote reward server (OpenRLHF's protocol; ``verify serve``).

    The completions (texts, or the last assistant message of a conversation) are sent with
    their prompts and labels; the server's rewards come back in order. See the module
    docstring and ``docs/rewards/remote.md`` for the fault rule.

    Args:
        config: A :class:`RemoteConfig`; keyword arguments override its fields.

    Raises:
        ConfigError: no ``url``; a field out of range. When called: a 4xx other than 408, 413,
            422 and 429 (wrong URL, credentials or server).
        InfrastructureError: when called with ``on_error="raise"``: no usable answer after the
            retries.
        InputError: when called with ``on_reject="raise"``: the server rejected rows (422).

    >>> reward = RemoteReward(url="http://localhost:8000/get_reward", headers={"Authorization": "Bearer s3cret"})
    >>> reward.__name__, reward.columns, reward.optional_columns, reward.reward_range
    ('remote', ('solution',), ('prompts',), (0.0, 1.0))
    >>> "s3cret" in reward.signature() + repr(reward)
    False
    """

    name = "remote"
    config_class = RemoteConfig

    def __init__(self, config: RemoteConfig | None = None, /, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        if not self.config.url:
            raise ConfigError("RemoteReward needs the server's url, e.g. url='http://host:8000/get_reward'")
        self.__name__ = self.config.reward_name
        label, prompt = self.config.label_column, self.config.prompt_column
        self.columns = (label,) if label else ()  # type: ignore[misc]
        self.optional_columns = (prompt,) if prompt and prompt != label else ()  # type: ignore[misc]

    def signature(self) -> str:
        """``remote|url:...|...|v:VERSION``: every field, with the URL's credentials and query
        values and the headers' values left out.

        >>> RemoteReward(url="http://u:pw@host:1/r?key=abc").signature().split("|")[3]
        'url:http://host:1/r?key=***'
        """
        parts = [self.name]
        for f in dataclasses.fields(self.config):
            value = getattr(self.config, f.name)
            if f.name == "url":
                value = _public_url(value)
            elif f.name == "headers":
                value = tuple(key for key, _ in value) or None
            parts.append(f"{f.name}:{_sig_value(value)}")
        parts.append(f"v:{__version__}")
        return "|".join(parts)

    # -- the kernel ----------------------------------------------------------------------------------
    def grade_batch(self, batch: Batch) -> Scores:
        """Send the rows, ``batch_size`` per request, and read back one reward per row."""
        cfg = self.config
        n = len(batch)
        verdicts: list[Verdict | None] = [None] * n
        labels = batch.column(cfg.label_column) if cfg.label_column else None
        prompts = batch.column(cfg.prompt_column) if cfg.prompt_column else None
        rows: list[int] = []
        queries: list[str] = []
        prompt_texts: list[str] = []
        sent_labels: list[Any] = []
        for i, text in enumerate(batch.texts):
            label = None
            if labels is not None:
                label = _plain(labels[i])
                if isinstance(label, float) and math.isnan(label):  # pandas' missing value
                    verdicts[i] = Verdict(None, Status.MISSING_COLUMN, detail=f"{cfg.label_column!r} is NaN")
                    continue
            try:
                prompt = prompt_text(prompts[i]) if prompts is not None else ""
            except InputError as exc:
                verdicts[i] = Verdict(None, Status.MALFORMED_INPUT, detail=f"the prompt: {exc}")
                continue
            rows.append(i)
            queries.append(prompt + text)
            prompt_texts.append(prompt)
            sent_labels.append(label)
        chunks = [range(start, min(start + cfg.batch_size, len(rows))) for start in range(0, len(rows), cfg.batch_size)]
        request = _Request(queries, prompt_texts, sent_labels if labels is not None else None)
        if len(chunks) <= 1 or cfg.concurrency == 1:
            results = [self._score(request, chunk.start, chunk.stop) for chunk in chunks]
        else:
            with ThreadPoolExecutor(min(cfg.concurrency, len(chunks)), thread_name_prefix="verifiers-remote") as pool:
                futures = [pool.submit(self._score, request, chunk.start, chunk.stop) for chunk in chunks]
                wait(futures, return_when=FIRST_EXCEPTION)
                for future in futures:  # the first failure stops the requests not yet sent
                    if future.done() and future.exception() is not None:
                        pool.shutdown(wait=True, cancel_futures=True)
                        raise future.exception()  # type: ignore[misc]
                results = [future.result() for future in futures]
        for chunk, got in zip(chunks, results):
            for j, verdict in zip(chunk, got):
                verdicts[rows[j]] = verdict
        return Scores.from_verdicts(verdicts)  # type: ignore[arg-type]

    def _score(self, request: _Request, lo: int, hi: int) -> list[Verdict]:
        """The verdicts of rows ``lo:hi`` of the request (split while the server rejects some)."""
        try:
            return self._post(request.body(lo, hi), hi - lo)
        except _Rejected as exc:
            if hi - lo > 1 and (exc.status == 413 or self.config.on_reject == "skip"):
                mid = (lo + hi) // 2
                return self._score(request, lo, mid) + self._score(request, mid, hi)
            if self.config.on_reject == "skip":
                return [Verdict(None, Status.MALFORMED_INPUT, detail=str(exc))]
            raise InputError(str(exc)) from None
        except _Unavailable as exc:
            if self.config.on_error == "skip":
                return [Verdict(None, Status.INFRA_ERROR, detail=str(exc))] * (hi - lo)
            raise InfrastructureError(str(exc)) from None

    def _post(self, body: bytes, n: int) -> list[Verdict]:
        """One request with its retries: ``n`` verdicts, or :class:`_Rejected`, :class:`_Unavailable`
        or :class:`~verifiers.errors.ConfigError`."""
        cfg = self.config
        where = _public_url(cfg.url)
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"verifiers/{__version__}",
            **dict(cfg.headers),
        }
        failure, wait_at_least = "", 0.0
        for attempt in range(cfg.retries + 1):
            if attempt:
                time.sleep(_backoff(attempt, cfg.backoff, cfg.max_backoff, wait_at_least))
            wait_at_least = 0.0
            request = urllib.request.Request(cfg.url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=cfg.timeout) as response:
                    raw = response.read(MAX_RESPONSE_BYTES + 1)
            except urllib.error.HTTPError as exc:
                message = _error_message(exc)
                exc.close()
                if exc.code >= 500 or exc.code in RETRY_STATUSES:
                    failure = f"HTTP {exc.code}: {message}"
                    wait_at_least = _retry_after(exc.headers.get("Retry-After"))
                    continue
                if exc.code in REJECT_STATUSES:
                    raise _Rejected(exc.code, f"{where} rejected the rows (HTTP {exc.code}): {message}") from None
                raise ConfigError(
                    f"{where} answers HTTP {exc.code} ({message}); check the url, the headers and that the "
                    "server speaks OpenRLHF's protocol"
                ) from None
            except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out, cut short
                reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                failure = f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__
                continue
            return self._verdicts(raw, n, where)
        attempts = cfg.retries + 1
        raise _Unavailable(f"{where}: no answer after {attempts} attempt{'s' * (attempts > 1)} ({failure})")

    def _verdicts(self, raw: bytes, n: int, where: str) -> list[Verdict]:
        """The verdicts in a server's answer, or :class:`_Unavailable` (a broken answer)."""
        cfg = self.config
        if len(raw) > MAX_RESPONSE_BYTES:
            raise _Unavailable(f"{where} answered more than {MAX_RESPONSE_BYTES} bytes")
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise _Unavailable(f"{where} answered something that is not JSON ({exc}): {raw[:200]!r}") from None
        logs = None
        if isinstance(data, dict) and "rewards" in data:
            data, logs = data["rewards"], data.get("extra_logs")
        if not isinstance(data, list):
            raise _Unavailable(f"{where} answered {type(data).__name__}, not {{'rewards': [...]}} or a list")
        if len(data) != n:
            raise _Unavailable(f"{where} answered {len(data)} rewards for {n} rows")
        values: list[float] = []
        for value in data:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise _Unavailable(f"{where} answered a reward that is not a finite number: {value!r}")
            if not cfg.low <= value <= cfg.high:
                if cfg.out_of_range == "error":
                    raise _Unavailable(
                        f"{where} answered {value!r}, outside [low, high] = [{cfg.low}, {cfg.high}]; set low and "
                        "high to the server's range (or out_of_range='clip')"
                    )
                value = min(max(value, cfg.low), cfg.high)
            values.append(float(value))
        statuses = _statuses(logs, n)
        return [Verdict(v, s) for v, s in zip(values, statuses)]


# -- helpers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    """The rows of one call, and the JSON body of any slice of them."""

    queries: list[str]
    prompts: list[str]
    labels: list[Any] | None

    def body(self, lo: int, hi: int) -> bytes:
        payload: dict[str, Any] = {"query": self.queries[lo:hi], "prompts": self.prompts[lo:hi]}
        if self.labels is not None:
            payload["labels"] = self.labels[lo:hi]
        try:
            return json.dumps(payload, ensure_ascii=False, allow_nan=False, default=_plain_or_fail).encode()
        except (TypeError, ValueError) as exc:
            raise InputError(f"remote: the labels cannot be sent as JSON: {exc}") from None


class _Unavailable(Exception):
    """No usable answer: an infrastructure fault."""


class _Rejected(Exception):
    """The server rejected the rows (the data's fault), or the request was too large."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _plain_or_fail(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"a {type(value).__name__} is not JSON")


def _statuses(logs: Any, n: int) -> list[Status]:
    """Each row's status from ``verify serve``'s ``extra_logs`` (``NAME/STATUS``: one 0/1 per
    row; the ``total`` of a sum, or the one reward), else ``scored``. Statuses that carry
    ``None`` (data, infra) cannot come with a number and are read as ``scored``."""
    out = [Status.SCORED] * n
    if not isinstance(logs, Mapping):
        return out
    names = {key.rpartition("/")[0] for key in logs if isinstance(key, str) and "/" in key}
    name = "total" if "total" in names else next(iter(names)) if len(names) == 1 else None
    if name is None:
        return out
    for status in Status:
        if status.fault not in (Fault.NONE, Fault.MODEL):
            continue
        flags = logs.get(f"{name}/{status.value}")
        if isinstance(flags, list) and len(flags) == n:
            for i, flag in enumerate(flags):
                if flag == 1:
                    out[i] = status
    return out


def _public_url(url: str) -> str:
    """The URL without credentials, and without the values of its query.

    >>> _public_url("https://user:secret@host:8000/get_reward?token=abc&x=1")
    'https://host:8000/get_reward?token=***&x=***'
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port is not None else host
    query = "&".join(f"{key}=***" for key, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _backoff(attempt: int, base: float, cap: float, at_least: float) -> float:
    """Seconds before retry ``attempt`` (1, 2, ...): ``base * 2**(attempt-1)`` up to ``cap``, of
    which a random half (equal jitter), and at least ``at_least`` (a Retry-After) up to ``cap``."""
    delay = min(cap, base * 2 ** (attempt - 1))
    delay = delay / 2 + random.uniform(0, delay / 2)
    return max(delay, min(at_least, cap))


def _retry_after(value: str | None) -> float:
    try:
        seconds = float(value) if value is not None else 0.0
    except ValueError:  # an HTTP date: not worth parsing
        return 0.0
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0


def _error_message(exc: urllib.error.HTTPError) -> str:
    """The server's ``{"error": ...}`` (``verify serve``), or the start of its body."""
    try:
        body = exc.read(64 * 1024)
    except (OSError, http.client.HTTPException):
        body = b""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    if isinstance(data, dict) and data.get("detail"):  # FastAPI's errors
        return str(data["detail"])
    text = body.decode("utf-8", "replace").strip()
    return text[:500] or str(exc.reason)
