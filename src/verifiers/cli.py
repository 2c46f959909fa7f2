"""``verify``: score JSONL files with the rewards of :mod:`verifiers`.

This module only reads and writes; all scoring goes through the public API
(:func:`verifiers.registry.get_reward` and :class:`verifiers.shaping.combine.WeightedSum`).

Exit codes: 0 every row was scored; 1 some rows could not be scored because of the data
(malformed line, missing column, unusable reference: each kept in the output with a null
reward and reported on stderr with its line number); 2 usage error; 3 infrastructure failure
(e.g. a worker crashed; the rows before it are written, the message says how many).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from verifiers._version import __version__
from verifiers.errors import InfrastructureError, InputError, VerifiersError
from verifiers.extract.messages import completion_text
from verifiers.registry import get_reward, names
from verifiers.shaping.combine import WeightedSum
from verifiers.types import Fault, Status, Verdict

__all__ = ["main"]

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_INFRA = 0, 1, 2, 3
_MAX_REPORTS = 50


class UsageError(Exception):
    pass


def _parse_reward(spec: str) -> tuple[str, float]:
    name, _, weight = spec.partition(":")
    try:
        return name.strip(), float(weight) if weight else 1.0
    except ValueError:
        raise UsageError(f"--reward {spec!r}: the weight after ':' must be a number") from None


def _parse_pairs(specs: list[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for spec in specs:
        for pair in filter(None, (p.strip() for p in spec.split(","))):
            key, eq, value = pair.partition("=")
            if not eq or not key or not value:
                raise UsageError(f"{flag} {pair!r}: expected KEY=VALUE")
            out[key.strip()] = value.strip()
    return out


def _config_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def build_reward(args: argparse.Namespace) -> WeightedSum:
    """The weighted sum of the rewards named on the command line, with their options and backend."""
    specs = [_parse_reward(s) for s in (args.reward or ["accuracy"])]
    options: dict[str, dict[str, Any]] = {}
    for key, value in _parse_pairs(args.set or [], "--set").items():
        reward_name, dot, option = key.partition(".")
        if not dot:
            raise UsageError(f"--set {key}=...: expected REWARD.OPTION=VALUE")
        options.setdefault(reward_name, {})[option] = _config_value(value)
    unknown = set(options) - {name for name, _ in specs}
    if unknown:
        raise UsageError(f"--set names rewards that are not scored: {', '.join(sorted(unknown))}")
    backend = None
    if args.jobs or args.timeout:
        from verifiers.engine import ProcessPool

        backend = ProcessPool(jobs=args.jobs or 1, timeout=args.timeout, on_crash=args.on_crash)
    parts = []
    for name, weight in specs:
        reward = get_reward(name, **options.get(name, {}))
        if backend is not None and hasattr(reward, "backend"):
            reward.backend = backend
        parts.append((reward, weight))
    return WeightedSum(parts, none=args.none, name="total")


@dataclass
class _Row:
    line: int
    data: dict[str, Any] | None
    error: str | None = None
    raw: str = ""


@dataclass
class _Tally:
    rows: int = 0
    scored: int = 0
    total: float = 0.0
    problems: dict[str, int] = field(default_factory=dict)
    reported: int = 0


def _read_rows(stream: IO[str]) -> Iterator[_Row]:
    for number, line in enumerate(stream, start=1):
        text = line.rstrip("\r\n")
        if not text.strip():
            yield _Row(number, None, "empty line", text)
            continue
        try:
            data = json.loads(text)
        except ValueError as exc:
            yield _Row(number, None, f"malformed JSON: {exc}", text)
            continue
        if not isinstance(data, dict):
            yield _Row(number, None, f"a row must be a JSON object, not {type(data).__name__}", text)
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
                err.write(f"verify: line {row.line}: prompt group {key!r} reappears after other rows; "
                          "group-relative rewards score each contiguous run of a group on its own\n")
            seen.add(marker)
            last = key
        batch.append(row)
        if group_of is None and len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _score_batch(
    reward: WeightedSum, batch: list[_Row], mapping: dict[str, str], completion_key: str
) -> list[tuple[Verdict, dict[str, Verdict]]]:
    """One (combined, per-part) pair per row; malformed rows and rows without a completion are
    data faults and are not sent to the rewards."""
    results: list[tuple[Verdict, dict[str, Verdict]] | None] = [None] * len(batch)
    texts: dict[int, str] = {}
    todo = []
    for i, row in enumerate(batch):
        if row.data is None:
            results[i] = (Verdict(None, Status.MALFORMED_INPUT, detail=row.error or ""), {})
        elif row.data.get(completion_key) is None:
            detail = f"column {completion_key!r} is missing or null"
            results[i] = (Verdict(None, Status.MISSING_COLUMN, detail=detail), {})
        else:
            try:
                texts[i] = completion_text(row.data[completion_key])
                todo.append(i)
            except InputError as exc:
                detail = f"column {completion_key!r}: {exc}"
                results[i] = (Verdict(None, Status.MALFORMED_INPUT, detail=detail), {})
    if todo:
        data = [batch[i].data for i in todo]
        completions = [texts[i] for i in todo]
        columns: dict[str, list[Any]] = {}
        required = set(mapping) | {c for r, _ in reward.parts for c in getattr(r, "columns", ())}
        optional = {c for r, _ in reward.parts for c in getattr(r, "optional_columns", ())} | {"prompt"}
        for column in (required | optional) - {"completion", "completions"}:
            values = [d.get(mapping.get(column, column)) for d in data]  # type: ignore[union-attr]
            # A required column is always passed (a null value is the row's data problem); an
            # optional one only when the file has it, so the reward can fall back without it.
            if column in required or any(v is not None for v in values):
                columns["prompts" if column == "prompt" else column] = values
        combined, parts = reward.score_parts(completions, **columns)
        for j, i in enumerate(todo):
            results[i] = (combined[j], {name: verdicts[j] for name, verdicts in parts.items()})
    return results  # type: ignore[return-value]


def _group_key(reward: WeightedSum, mapping: dict[str, str]) -> Callable[[_Row], Any] | None:
    """For group-relative rewards: the row's prompt group (``prompt_id``, else ``prompt``)."""
    if not any(getattr(r, "grouped", False) for r, _ in reward.parts):
        return None
    id_field, prompt_field = mapping.get("prompt_id", "prompt_id"), mapping.get("prompt", "prompt")

    def group_of(row: _Row) -> Any:
        if row.data is None:
            return None
        key = row.data.get(id_field)
        return key if key is not None else json.dumps(row.data.get(prompt_field), sort_keys=True)

    return group_of


class _Progress:
    def __init__(self, stream: IO[str], total_bytes: int | None, enabled: bool) -> None:
        self.stream, self.total, self.enabled = stream, total_bytes, enabled
        self.last = 0.0

    def update(self, rows: int, position: int | None, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self.last < 0.2):
            return
        self.last = now
        share = f" {100 * position / self.total:5.1f}%" if self.total and position is not None else ""
        self.stream.write(f"\rverify: {rows} rows{share}")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\n")


def _open_in(path: str) -> IO[str]:
    if path == "-":
        return sys.stdin
    return open(path, encoding="utf-8", errors="replace", newline="")


def _open_out(path: str) -> IO[str]:
    if path == "-":
        return sys.stdout
    return open(path, "w", encoding="utf-8")


def cmd_score(args: argparse.Namespace) -> int:
    mapping = _parse_pairs(args.map or [], "--map")
    completion_key = mapping.get("completion", mapping.get("completions", "completion"))
    reward = build_reward(args)
    signature = reward.signature()
    key = args.key
    tally = _Tally()
    err = sys.stderr
    source = _open_in(args.input)
    try:
        size = os.fstat(source.fileno()).st_size if args.input != "-" else None
    except (OSError, ValueError):
        size = None
    progress = _Progress(err, size, enabled=not args.quiet and err.isatty())
    out = _open_out(args.output)
    try:
        group_of = _group_key(reward, mapping)
        internal_errors = 0
        for batch in _batches(_read_rows(source), args.batch_size, group_of, err):
            try:
                results = _score_batch(reward, batch, mapping, completion_key)
            except InfrastructureError as exc:
                err.write(
                    f"verify: infrastructure failure at lines {batch[0].line}-{batch[-1].line}: {exc}\n"
                    f"verify: {tally.rows} rows were written before it; rerun with --on-crash skip "
                    "to keep going with null rewards\n"
                )
                return EXIT_INFRA
            except Exception as exc:  # a bug in a reward: report it, keep every row, go on
                detail = f"internal error: {type(exc).__name__}: {exc}"
                err.write(f"verify: lines {batch[0].line}-{batch[-1].line}: {detail} (rows kept with null reward)\n")
                results = [(Verdict(None, Status.INFRA_ERROR, detail=detail), {}) for _ in batch]
                internal_errors += len(batch)
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
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                _tally(tally, row, combined, parts, err)
            out.flush()
            progress.update(tally.rows, _position(source))
        progress.update(tally.rows, size, force=True)
    finally:
        progress.done()
        if out is not sys.stdout:
            out.close()
        else:
            out.flush()
        if source is not sys.stdin:
            source.close()
    mean = f"{tally.total / tally.scored:.4f}" if tally.scored else "n/a"
    problems = ", ".join(f"{n} {s}" for s, n in sorted(tally.problems.items())) or "none"
    err.write(f"verify: {tally.rows} rows, {tally.scored} scored, mean reward {mean}; problems: {problems}\n")
    err.write(f"verify: signature {signature}\n")
    if internal_errors:
        return EXIT_INFRA
    return EXIT_DATA if tally.problems else EXIT_OK


def _position(stream: IO[str]) -> int | None:
    try:
        return stream.buffer.tell() if hasattr(stream, "buffer") else None  # type: ignore[attr-defined]
    except (OSError, ValueError):
        return None


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
    width = max(len(n) for n in names())
    for name, description in names().items():
        print(f"{name:<{width}}  {description}")
    return EXIT_OK


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="verify", description="Score JSONL files with rule-based rewards.")
    parser.add_argument("--version", action="version", version=f"verify {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    score = sub.add_parser(
        "score",
        help="score every row of a JSONL file",
        description="Score every row of a JSONL file. Every input row is written, in order, with a "
        "'verify' object added: the total reward, its status, each reward's verdict and the signature.",
    )
    score.add_argument("input", help="JSONL file to score, or - for standard input")
    score.add_argument("-o", "--output", default="-", help="where to write JSONL (default: - , standard output)")
    score.add_argument(
        "-r", "--reward", action="append", metavar="NAME[:WEIGHT]",
        help="a reward to apply (repeatable; default: accuracy). The total is the weighted sum.",
    )
    score.add_argument(
        "-m", "--map", action="append", metavar="COLUMN=FIELD",
        help="read a reward's column from another field, e.g. completion=response,solution=answer",
    )
    score.add_argument(
        "--set", action="append", metavar="REWARD.OPTION=VALUE",
        help="set a reward's config option, e.g. accuracy.low=-1 (JSON values)",
    )
    score.add_argument(
        "--none", choices=("propagate", "ignore"), default="propagate",
        help="a null part makes the total null (propagate, default) or is left out of it (ignore)",
    )
    score.add_argument("-j", "--jobs", type=int, default=0, help="worker processes (default: grade in-process)")
    score.add_argument("--timeout", type=float, default=None, help="seconds per row, enforced in a worker process")
    score.add_argument(
        "--on-crash", choices=("raise", "skip"), default="raise",
        help="a crashed worker stops the run (raise, default) or gives that row a null reward (skip)",
    )
    score.add_argument("--batch-size", type=int, default=256, help="rows scored together (memory bound)")
    score.add_argument("--key", default="verify", help="name of the field added to each row (default: verify)")
    score.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    score.set_defaults(func=cmd_score)

    lister = sub.add_parser("list", help="list the available rewards")
    lister.set_defaults(func=cmd_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``verify`` command. Returns the exit code."""
    parser = make_parser()
    args = parser.parse_args(argv)
    if getattr(args, "batch_size", 1) < 1:
        parser.error("--batch-size must be at least 1")
    if getattr(args, "jobs", 0) < 0:
        parser.error("--jobs must not be negative")
    try:
        return int(args.func(args))
    except UsageError as exc:
        parser.error(str(exc))
    except BrokenPipeError:  # e.g. `verify score x | head`: the reader left, nothing is wrong
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except (VerifiersError, OSError) as exc:
        if isinstance(exc, InfrastructureError):
            sys.stderr.write(f"verify: infrastructure failure: {exc}\n")
            return EXIT_INFRA
        sys.stderr.write(f"verify: {exc}\n")
        return EXIT_USAGE
    return EXIT_OK  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
