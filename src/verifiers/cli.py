"""``verify``: score JSONL files with the rewards of :mod:`verifiers`.

This module only reads, writes and reports. Scoring goes through the public API: rewards are
built with :func:`verifiers.registry.get_reward`, summed by a
:class:`~verifiers.shaping.combine.WeightedSum` that carries the backend, and scored with
``score_parts``; which fields to read comes from the rewards' ``columns`` and
``optional_columns``, and whether to keep prompt groups together from ``grouped``.

Every input line becomes one output row, in order. Input is read as bytes and decoded line by
line, the same way for a file and for standard input. Output to a file goes to a temporary file
beside it, renamed over the target only when the run is complete.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import math
import os
import queue
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO

from verifiers._version import __version__
from verifiers.adapters._common import parse_options
from verifiers.engine.backends import Backend
from verifiers.engine.pool import ProcessPool
from verifiers.errors import ConfigError, InfrastructureError, VerifiersError
from verifiers.registry import get_reward, names, split_weight
from verifiers.serve import add_serve_parser
from verifiers.shaping.combine import WeightedSum
from verifiers.types import Fault, Status, Verdict

__all__ = ["main"]

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_INFRA = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143
_MAX_REPORTS = 50
_BOM = b"\xef\xbb\xbf"
_DECODER = json.JSONDecoder(strict=False)  # what json.loads(text, strict=False) builds on every call

EXIT_CODES = """\
exit codes:
  0    every row was scored
  1    some rows have data problems (malformed line, missing column, unusable reference);
       each is kept in the output with a null reward and reported with its line number
  2    usage error (unknown reward, bad option, missing file)
  3    infrastructure failure: a worker crashed (the rows scored before it are kept in
       OUTPUT.partial) or a reward raised (its rows are written with a null reward)
  130  interrupted (Ctrl-C); 143 terminated (SIGTERM): rows scored so far are in OUTPUT.partial"""


class UsageError(Exception):
    pass


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that the run stops as cleanly as on Ctrl-C (a
    BaseException, like KeyboardInterrupt, so that no ``except Exception`` swallows it)."""


# -- building the reward ------------------------------------------------------------------------------


def _parse_reward(spec: str) -> tuple[str, float]:
    try:
        name, value = split_weight(spec)
    except ValueError as exc:
        raise UsageError(f"--reward {exc}") from None
    if not math.isfinite(value):
        raise UsageError(f"--reward {spec!r}: the weight must be finite")
    return name, value


def _parse_pairs(specs: list[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for spec in specs:
        for pair in filter(None, (p.strip() for p in spec.split(","))):
            key, eq, value = pair.partition("=")
            if not eq or not key or not value:
                raise UsageError(f"{flag} {pair!r}: expected KEY=VALUE")
            out[key.strip()] = value.strip()
    return out


def build_reward(args: argparse.Namespace) -> tuple[WeightedSum, Backend | None]:
    """The weighted sum of the rewards named on the command line, with their options, and the
    backend it runs on when the options ask for one (a process pool, or Ray actors)."""
    specs = [_parse_reward(s) for s in (args.reward or ["accuracy"])]
    options: dict[str, dict[str, Any]] = {}
    try:
        for reward_name, option, value in parse_options(args.set or []):
            options.setdefault(reward_name, {})[option] = value
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    unknown = set(options) - {name for name, _ in specs}
    if unknown:
        raise UsageError(f"--set names rewards that are not scored: {', '.join(sorted(unknown))}")
    if getattr(args, "model", None):
        options.setdefault("model", {}).setdefault("path", args.model)
        if "model" not in {name for name, _ in specs}:
            raise UsageError("--model names the model of the 'model' reward: add -r model[:WEIGHT]")
    backend: Backend | None = None
    if args.backend == "ray":
        from verifiers.engine.ray_backend import Ray

        backend = Ray(jobs=args.jobs or None, timeout=args.timeout, on_crash=args.on_crash)
    elif args.jobs or args.timeout:
        backend = ProcessPool(jobs=args.jobs or 1, timeout=args.timeout, on_crash=args.on_crash)
    parts = []
    for name, weight in specs:
        try:
            parts.append((get_reward(name, **options.get(name, {})), weight))
        except ConfigError as exc:
            if name in options:
                raise UsageError(f"--set {name}.*: {exc}") from None
            raise
    return WeightedSum(parts, none=args.none, name="total", backend=backend), backend


# -- reading -----------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    data: dict[str, Any] | None
    error: str | None = None
    raw: str = ""


def _read_rows(stream: BinaryIO, consumed: list[int]) -> Iterator[_Row]:
    """One row per input line (``\\n``-separated bytes, so a bare CR stays inside its line);
    a line that is not a UTF-8 JSON object is a row with its error. ``consumed[0]`` counts bytes."""
    for number, raw in enumerate(stream, start=1):
        consumed[0] += len(raw)
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        body = raw[:-1] if raw.endswith(b"\n") else raw
        body = body[:-1] if body.endswith(b"\r") else body
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield _Row(number, None, f"invalid UTF-8 at byte {exc.start}", body.decode("utf-8", "backslashreplace"))
            continue
        if not text.strip():
            yield _Row(number, None, "empty line", text)
            continue
        try:
            data = _DECODER.decode(text)
        except RecursionError:
            yield _Row(number, None, "malformed JSON: nested too deeply", text[:200])
            continue
        except ValueError as exc:
            yield _Row(number, None, f"malformed JSON: {exc}", text)
            continue
        if not isinstance(data, dict):
            yield _Row(number, None, f"a row must be a JSON object, not {type(data).__name__}", text[:200])
            continue
        yield _Row(number, data)


def _batches(
    rows: Iterator[_Row], size: int, group_of: Callable[[_Row], Any] | None = None, err: IO[str] | None = None
) -> Iterator[list[_Row]]:
    """Batches of ``size`` rows. With ``group_of`` (group-relative rewards), a batch is never cut
    inside a run of rows of the same prompt group, and a group that reappears after another one
    is reported, since it will be scored as a separate group."""
    batch: list[_Row] = []
    seen: set[int] = set()
    last: Any = object()
    for row in rows:
        key = group_of(row) if group_of is not None else None
        if group_of is not None and key != last:
            if len(batch) >= size:
                yield batch
                batch = []
            marker = hash(repr(key))
            if marker in seen and err is not None:
                err.write(
                    f"verify: line {row.line}: prompt group {key!r} reappears after other rows; "
                    "group-relative rewards score each contiguous run of a group on its own\n"
                )
            seen.add(marker)
            last = key
        batch.append(row)
        if group_of is None and len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- scoring -----------------------------------------------------------------------------------------


@dataclass
class _Fields:
    """Which input field feeds which column, and which fields were ever seen."""

    completion: str
    columns: dict[str, str]  # column -> field, for every column the rewards read
    required: tuple[str, ...]
    seen: dict[str, int] = field(default_factory=dict)  # field -> rows where it is not null

    @classmethod
    def of(cls, reward: WeightedSum, mapping: dict[str, str]) -> _Fields:
        completion = mapping.get("completion", mapping.get("completions", "completion"))
        columns = {}
        for column in (*reward.columns, *reward.optional_columns):
            default = "prompt" if column == "prompts" else column
            columns[column] = mapping.get(column, mapping.get(default, default))
        return cls(completion, columns, tuple(reward.columns))

    def note(self, data: dict[str, Any]) -> None:
        for name in (self.completion, *self.columns.values()):
            if data.get(name) is not None:
                self.seen[name] = self.seen.get(name, 0) + 1

    def absent(self) -> list[str]:
        """Required fields (and the completion field) that no row so far had."""
        wanted = [self.completion, *(self.columns[c] for c in self.required)]
        return [name for name in dict.fromkeys(wanted) if not self.seen.get(name)]


def _completion_problem(value: Any) -> str | None:
    if isinstance(value, (str, dict)):
        return None
    if isinstance(value, list) and not (value and isinstance(value[0], (int, float)) and type(value[0]) is not bool):
        return None
    return f"the completion must be text or a list of messages, not {type(value).__name__}"


def _score_batch(
    reward: WeightedSum, batch: list[_Row], fields: _Fields
) -> list[tuple[Verdict, dict[str, Verdict]]]:
    """One (combined, per-part) pair per row; rows that could not be read, and completions of
    the wrong type, are data faults and are not sent to the rewards."""
    results: list[tuple[Verdict, dict[str, Verdict]] | None] = [None] * len(batch)
    todo = []
    for i, row in enumerate(batch):
        if row.data is None:
            results[i] = (Verdict(None, Status.MALFORMED_INPUT, detail=row.error or ""), {})
            continue
        fields.note(row.data)
        completion = row.data.get(fields.completion)
        problem = _completion_problem(completion)
        if completion is None:
            detail = f"field {fields.completion!r} is missing or null"
            results[i] = (Verdict(None, Status.MISSING_COLUMN, detail=detail), {})
        elif problem:
            results[i] = (Verdict(None, Status.MALFORMED_INPUT, detail=f"field {fields.completion!r}: {problem}"), {})
        else:
            todo.append(i)
    if todo:
        data: list[dict[str, Any]] = [batch[i].data for i in todo]  # type: ignore[misc]
        completions = [d.get(fields.completion) for d in data]
        columns: dict[str, list[Any]] = {}
        for column, name in fields.columns.items():
            values = [d.get(name) for d in data]
            # A required column is always passed (a null value is the row's data problem); an
            # optional one only when some row has it, so the reward can fall back without it.
            if column in fields.required or any(v is not None for v in values):
                columns[column] = values
        combined, parts = reward.score_parts(completions, **columns)  # type: ignore[arg-type]
        for j, i in enumerate(todo):
            results[i] = (combined[j], {name: verdicts[j] for name, verdicts in parts.items()})
    return results  # type: ignore[return-value]


def _group_key(reward: WeightedSum, mapping: dict[str, str]) -> Callable[[_Row], Any] | None:
    """For group-relative rewards: the row's prompt group (``prompt_id``, else ``prompt``)."""
    if not reward.grouped:
        return None
    id_field, prompt_field = mapping.get("prompt_id", "prompt_id"), mapping.get("prompt", "prompt")

    def group_of(row: _Row) -> Any:
        if row.data is None:
            return None
        key = row.data.get(id_field)
        return key if key is not None else json.dumps(row.data.get(prompt_field), sort_keys=True)

    return group_of


# -- writing -----------------------------------------------------------------------------------------


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by ``None`` (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _encode(record: dict[str, Any]) -> bytes:
    try:
        text = json.dumps(record, ensure_ascii=False, allow_nan=False)
    except ValueError:  # NaN or Infinity in the input row: JSON has none, write null
        text = json.dumps(_finite(record), ensure_ascii=False, allow_nan=False)
    try:
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape: keep it escaped
        return (json.dumps(json.loads(text), ensure_ascii=True) + "\n").encode("ascii")


class _Output:
    """Standard output, or a temporary file beside the target that replaces it when complete.

    Only a regular file (or a new one) is replaced that way: a device, a pipe or a socket
    (``/dev/null``, ``/dev/stdout``, a FIFO) is written to directly, never replaced.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.temp: str | None = None
        if path == "-":
            self.stream: BinaryIO = sys.stdout.buffer
            return
        if os.path.exists(path) and not os.path.isfile(path):
            self.stream = open(path, "wb")  # noqa: SIM115 - closed by commit() or abandon()
            return
        directory = os.path.dirname(os.path.abspath(path))
        fd, self.temp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
        self.stream = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        self.stream.write(data)

    def flush(self) -> None:
        self.stream.flush()

    def commit(self) -> None:
        """The run is complete: the output replaces the target."""
        if self.temp is None:
            self.stream.flush()
            if self.stream is not sys.stdout.buffer:
                self.stream.close()
            return
        self.stream.flush()
        os.fsync(self.stream.fileno())
        self.stream.close()
        with contextlib.suppress(OSError):
            os.chmod(self.temp, 0o644 & ~_umask())
        os.replace(self.temp, self.path)
        self.temp = None

    def discard(self) -> None:
        """Nothing of this run is worth keeping: remove the temporary file (the target and any
        ``PATH.partial`` stay as they were)."""
        if self.temp is None:
            return
        self.stream.close()
        with contextlib.suppress(OSError):
            os.remove(self.temp)
        self.temp = None

    def abandon(self) -> str | None:
        """The run stopped early: keep what was written as ``PATH.partial``; return that path."""
        if self.temp is None:
            with contextlib.suppress(OSError, ValueError):
                self.stream.flush()
                if self.stream is not sys.stdout.buffer:
                    self.stream.close()
            return None
        self.stream.close()
        partial = self.path + ".partial"
        os.replace(self.temp, partial)
        self.temp = None
        return partial


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# -- reading scored rows back ------------------------------------------------------------------------


def verdict_of(obj: Any) -> Verdict:
    """A :class:`Verdict` from the mapping the CLI writes (``Verdict.to_dict``, or the total).

    Raises:
        ValueError: the mapping is not a verdict (not an object, no number, unknown status).
    """
    if not isinstance(obj, dict):
        raise ValueError(f"a verdict must be an object, not {type(obj).__name__}")
    reward = obj.get("reward")
    if reward is not None and (isinstance(reward, bool) or not isinstance(reward, (int, float))):
        raise ValueError(f"reward {reward!r} is not a number")
    status = obj.get("status")
    if not isinstance(status, str):
        raise ValueError(f"status {status!r} is not a status")
    extracted = obj.get("extracted")
    return _verdict(
        None if reward is None else float(reward),
        status,
        None if extracted is None else str(extracted),
        str(obj.get("detail") or ""),
    )


@functools.lru_cache(maxsize=4096)
def _verdict(reward: float | None, status: str, extracted: str | None, detail: str) -> Verdict:
    # Verdicts are frozen, and most rows of a scored file share a few of them
    return Verdict(reward, Status(status), extracted=extracted, detail=detail)


def _resumable(
    partial: str, rows: Iterator[_Row], signature: str, key: str
) -> Iterator[tuple[_Row, bytes, tuple[Verdict, dict[str, Verdict]]]]:
    """The complete rows of a partial output, one at a time, each checked against the input row
    it was made from and against the current signature; ``rows`` is left at the first row to
    score.

    Raises:
        UsageError: the partial output was made from another input or with other rewards.
    """
    with open(partial, "rb") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.endswith(b"\n"):
                break  # cut short by the crash: score that row again
            where = f"--resume: row {number} of {partial}"
            try:
                record = json.loads(line)
                result = record.pop(key)
                combined = verdict_of(result)
                parts = {str(name): verdict_of(v) for name, v in result.get("rewards", {}).items()}
            except (ValueError, KeyError, TypeError, AttributeError):
                raise UsageError(f"{where} is not a row written by verify score (with --key {key})") from None
            if result.get("signature") != signature:
                raise UsageError(
                    f"{where} was scored with another signature ({result.get('signature')}, now {signature}): "
                    "resume with the same rewards and options, or score from scratch"
                )
            row = next(rows, None)
            if row is None:
                raise UsageError(f"{where}: the input has only {number - 1} lines (was it changed?)")
            made_from = {"line": row.line, "raw": row.raw} if row.data is None else row.data
            if row.data is None:
                record = {k: v for k, v in result.items() if k in ("line", "raw")}
            if _finite(made_from) != record:
                raise UsageError(f"{where} was not made from line {number} of the input (was the input changed?)")
            yield row, line, (combined, parts)


# -- the run ---------------------------------------------------------------------------------------


@dataclass
class _Tally:
    rows: int = 0
    scored: int = 0
    total: float = 0.0
    problems: dict[str, int] = field(default_factory=dict)
    reported: int = 0
    internal_errors: int = 0
    aborted: bool = False


def _open_input(path: str) -> tuple[BinaryIO, int | None]:
    if path == "-":
        return sys.stdin.buffer, None
    stream = open(path, "rb")  # noqa: SIM115 - closed by the caller
    return stream, os.fstat(stream.fileno()).st_size


def _progress(total: int | None, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc="verify", file=sys.stderr, leave=False)


def cmd_score(args: argparse.Namespace) -> int:
    mapping = _parse_pairs(args.map or [], "--map")
    reward, pool = build_reward(args)
    fields = _Fields.of(reward, mapping)
    signature = reward.signature()
    err = sys.stderr
    read = set(fields.columns) | {"completion", "completions", "prompt", "prompt_id"}
    for column in mapping:
        if column not in read:
            err.write(f"verify: warning: -m {column}=...: no reward reads a column {column!r}\n")
    if args.resume and (args.output == "-" or not os.path.exists(args.output + ".partial")):
        if pool is not None:
            pool.close()
        where = "-o FILE" if args.output == "-" else f"{args.output}.partial, which does not exist"
        raise UsageError(f"--resume continues {where}")
    source, size = _open_input(args.input)
    consumed = [0]
    rows = _read_rows(source, consumed)
    tally = _Tally()
    out = _Output(args.output)
    if args.resume:
        try:
            for row, line, (combined, parts) in _resumable(args.output + ".partial", rows, signature, args.key):
                out.write(line)
                _tally(tally, row, combined, parts, err)
        except BaseException:
            out.discard()
            if source is not sys.stdin.buffer:
                source.close()
            if pool is not None:
                pool.close()
            raise
        err.write(f"verify: resuming after the {tally.rows} rows already scored in {args.output}.partial\n")
    bar = _progress(size, not args.quiet and err.isatty())
    previous = signal.getsignal(signal.SIGTERM)
    if _in_main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        code = _run(args, mapping, reward, fields, signature, rows, consumed, out, tally, bar, err)
        if tally.aborted:
            partial = out.abandon()
            where = f", into {partial} ({out.path} was left unchanged)" if partial else ""
            err.write(
                f"verify: {tally.rows} rows were written before it{where}; to keep going with null "
                "rewards, rerun with --on-crash skip (a crashed worker) or the reward's own option "
                "(e.g. --set remote.on_error=skip)\n"
            )
        else:
            out.commit()
            if args.resume:
                with contextlib.suppress(OSError):
                    os.remove(args.output + ".partial")
        return code
    except KeyboardInterrupt:
        return _stopped(out, tally, err, "interrupted", EXIT_INTERRUPTED)
    except _Terminated:
        return _stopped(out, tally, err, "terminated", EXIT_TERMINATED)
    except BaseException:
        out.abandon()
        raise
    finally:
        if _in_main_thread():
            signal.signal(signal.SIGTERM, previous)
        if bar is not None:
            bar.close()
        if source is not sys.stdin.buffer:
            source.close()
        if pool is not None:
            pool.close()


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raise_terminated(signum: int, frame: Any) -> None:
    raise _Terminated()


def _stopped(out: _Output, tally: _Tally, err: IO[str], how: str, code: int) -> int:
    partial = out.abandon()
    where = f"; they are in {partial}, and {out.path} was left unchanged" if partial else ""
    err.write(f"\nverify: {how} after {tally.rows} rows were written{where}\n")
    return code


def _run(
    args: argparse.Namespace,
    mapping: dict[str, str],
    reward: WeightedSum,
    fields: _Fields,
    signature: str,
    rows: Iterator[_Row],
    consumed: list[int],
    out: _Output,
    tally: _Tally,
    bar: Any,
    err: IO[str],
) -> int:
    key = args.key
    warned_absent = False
    group_of = _group_key(reward, mapping)
    size = args.batch_size or (1024 if reward.backend is not None else 256)
    batches = _batches(rows, size, group_of, err)
    scored = _scored_ahead if reward.backend is not None else _scored_inline
    for batch, results, failure in scored(batches, lambda batch: _score_batch(reward, batch, fields)):
        if isinstance(failure, InfrastructureError):
            err.write(f"verify: infrastructure failure at lines {batch[0].line}-{batch[-1].line}: {failure}\n")
            tally.aborted = True
            return EXIT_INFRA
        if failure is not None and not isinstance(failure, Exception):
            raise failure
        if failure is not None:  # a bug in a reward: report it, keep every row, go on
            exc = failure
            detail = f"internal error: {type(exc).__name__}: {exc}"
            err.write(f"verify: lines {batch[0].line}-{batch[-1].line}: {detail} (rows kept with null reward)\n")
            results = [(Verdict(None, Status.INFRA_ERROR, detail=detail), {}) for _ in batch]
            tally.internal_errors += len(batch)
        if not warned_absent and tally.rows == 0:
            warned_absent = True
            for name in fields.absent():
                err.write(
                    f"verify: warning: no row of the first {len(batch)} has a field {name!r}; "
                    "check the field name or map it with -m COLUMN=FIELD\n"
                )
        for row, (combined, parts) in zip(batch, results):
            record = row.data if row.data is not None else {}
            result: dict[str, Any] = {
                "reward": combined.reward,
                "status": combined.status.value,
                "rewards": {name: v.to_dict() for name, v in parts.items()},
                "signature": signature,
            }
            if combined.detail:
                result["detail"] = combined.detail
            if row.data is None:
                result.update(line=row.line, raw=row.raw)
            record[key] = result
            out.write(_encode(record))
            _tally(tally, row, combined, parts, err)
        out.flush()
        if bar is not None:
            bar.update(consumed[0] - bar.n)
    mean = f"{tally.total / tally.scored:.4f}" if tally.scored else "n/a"
    problems = ", ".join(f"{n} {s}" for s, n in sorted(tally.problems.items())) or "none"
    err.write(f"verify: {tally.rows} rows, {tally.scored} scored, mean reward {mean}; problems: {problems}\n")
    for name in fields.absent() if tally.rows else []:
        err.write(f"verify: warning: no row has a field {name!r}: every row that needs it got a null reward\n")
    err.write(f"verify: signature {signature}\n")
    if tally.internal_errors:
        return EXIT_INFRA
    return EXIT_DATA if tally.problems else EXIT_OK


_Scored = tuple[list[_Row], list[tuple[Verdict, dict[str, Verdict]]], BaseException | None]


def _scored_inline(batches: Iterator[list[_Row]], score: Callable[[list[_Row]], Any]) -> Iterator[_Scored]:
    """Each batch with its results, or with the exception that scoring it raised."""
    for batch in batches:
        try:
            yield batch, score(batch), None
        except Exception as exc:
            yield batch, [], exc


def _scored_ahead(batches: Iterator[list[_Row]], score: Callable[[list[_Row]], Any]) -> Iterator[_Scored]:
    """As :func:`_scored_inline`, but batch k is scored on a helper thread (which mostly waits
    for the worker processes) while this thread reads batch k+1 and writes batch k-1, so the
    workers are not idle while the rows are parsed and written. One batch in flight: memory
    stays bounded. The thread is a daemon: an interrupted run does not wait for it."""
    todo: queue.Queue[list[_Row] | None] = queue.Queue(maxsize=1)
    done: queue.Queue[_Scored] = queue.Queue(maxsize=1)

    def work() -> None:
        while (batch := todo.get()) is not None:
            try:
                done.put((batch, score(batch), None))
            except BaseException as exc:  # handed to the reading thread, which decides
                done.put((batch, [], exc))

    threading.Thread(target=work, name="verify-scoring", daemon=True).start()
    in_flight = False
    try:
        for batch in batches:
            todo.put(batch)
            if in_flight:
                yield done.get()
            in_flight = True
        if in_flight:
            yield done.get()
    finally:
        with contextlib.suppress(queue.Full):
            todo.put_nowait(None)


def _tally(tally: _Tally, row: _Row, combined: Verdict, parts: dict[str, Verdict], err: IO[str]) -> None:
    tally.rows += 1
    if combined.reward is not None:
        tally.scored += 1
        tally.total += combined.reward
    # A row has a data problem if it could not be read, or if any reward blamed the data.
    faults = [(name, v) for name, v in parts.items() if v.status.fault in (Fault.DATA, Fault.INFRA)]
    if not parts and combined.status.fault in (Fault.DATA, Fault.INFRA):
        faults = [("row", combined)]
    for name, verdict in faults:
        tally.problems[verdict.status.value] = tally.problems.get(verdict.status.value, 0) + 1
        if tally.reported < _MAX_REPORTS:
            err.write(f"verify: line {row.line}: {name}: {verdict.status.value}: {verdict.detail}\n")
        elif tally.reported == _MAX_REPORTS:
            err.write("verify: further problems are counted but not printed\n")
        tally.reported += 1


def cmd_list(args: argparse.Namespace) -> int:
    width = max(len(n) for n in names(every=True))
    for name, description in names(every=True).items():
        print(f"{name:<{width}}  {description}")
    return EXIT_OK


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    return parse


def add_scoring_options(parser: argparse.ArgumentParser, default: str = "accuracy") -> None:
    """The options that choose and run the rewards, shared by the commands that score rows."""
    parser.add_argument(
        "-r", "--reward", action="append", metavar="NAME[:WEIGHT]",
        help=f"a reward to apply (repeatable; default: {default}). The total is the weighted sum. NAME is a "
        "registered name (verify list) or module:attribute, a reward of your own (e.g. a Router)",
    )
    parser.add_argument(
        "-m", "--map", action="append", metavar="COLUMN=FIELD",
        help="read a reward's column from another field, e.g. completion=response,solution=answer",
    )
    parser.add_argument(
        "--set", action="append", metavar="REWARD.OPTION=VALUE",
        help="set a reward's config option, e.g. accuracy.low=-1 (JSON values)",
    )
    parser.add_argument(
        "--none", choices=("propagate", "ignore"), default="propagate",
        help="a null part makes the total null (propagate, default) or is left out of it (ignore)",
    )
    parser.add_argument(
        "-j", "--jobs", type=_count(0), default=0, help="worker processes (default: 0, grade in-process)"
    )
    parser.add_argument(
        "--timeout", type=_positive_seconds, default=None,
        help="seconds per row, enforced in a worker process (implies at least one worker)",
    )
    parser.add_argument(
        "--backend", choices=("pool", "ray"), default="pool",
        help="where the workers run: processes on this machine (pool, default) or Ray actors (ray: the "
        "'ray' extra; RAY_ADDRESS joins a cluster; --jobs then defaults to the cluster's CPUs)",
    )
    parser.add_argument(
        "--model", metavar="PATH",
        help="the reward model of the 'model' reward (-r model): a local Hugging Face model directory",
    )
    parser.add_argument(
        "--on-crash", choices=("raise", "skip"), default="raise",
        help="a crashed worker stops the run (raise, default) or gives that row a null reward (skip)",
    )
    parser.add_argument(
        "--batch-size", type=_count(1), default=None,
        help="rows scored together, the memory bound (default: 256; 1024 with worker processes, which "
        "keeps them busy across uneven rows)",
    )


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="verify",
        description="Score, evaluate and filter JSONL files with rule-based rewards.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"verify {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    score = sub.add_parser(
        "score",
        help="score every row of a JSONL file",
        description="Score every row of a JSONL file. Every input line is written, in order, with a "
        "'verify' object added: the total reward, its status, each reward's verdict and the signature.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    score.add_argument("input", help="JSONL file to score, or - for standard input")
    score.add_argument(
        "-o", "--output", default="-",
        help="where to write JSONL (default: -, standard output); a file is replaced only when the run completes",
    )
    add_scoring_options(score)
    score.add_argument("--key", default="verify", help="name of the field added to each row (default: verify)")
    score.add_argument(
        "--resume", action="store_true",
        help="continue OUTPUT.partial, left by a run that stopped, without scoring its rows again (refused "
        "when they were made from another input or with other rewards)",
    )
    score.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    score.set_defaults(func=cmd_score)

    lister = sub.add_parser("list", help="list the available rewards")
    lister.set_defaults(func=cmd_list)

    from verifiers import _evalcli  # it builds on this module's reading and scoring

    _evalcli.add_commands(sub)
    add_serve_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``verify`` command. Returns the exit code."""
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        parser.error(str(exc))
    except BrokenPipeError:  # e.g. `verify score x | head`: the reader left, nothing is wrong
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        sys.stderr.write("\nverify: interrupted\n")
        return EXIT_INTERRUPTED
    except (VerifiersError, OSError) as exc:
        if isinstance(exc, InfrastructureError):
            sys.stderr.write(f"verify: infrastructure failure: {exc}\n")
            return EXIT_INFRA
        sys.stderr.write(f"verify: {exc}\n")
        return EXIT_USAGE
    return EXIT_OK  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
