"""``verify eval``, ``verify filter`` and ``verify report``: statistics, rejection sampling and a
report over scored rows.

Both read rows the way ``verify score`` does (line by line, malformed lines reported with their
line numbers and never fatal) and either score them with the rewards named by ``-r`` or, when
no ``-r`` is given and the rows carry the object ``verify score`` writes, read them as scored.
The statistics live in :mod:`verifiers.evaluation`; this module only reads, reports and writes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from verifiers import cli
from verifiers.errors import InfrastructureError
from verifiers.evaluation import Evaluation, KTooLarge
from verifiers.types import Status, Verdict

__all__ = ["add_commands"]

EVAL_EXIT_CODES = """\
exit codes:
  0    every row was read and graded
  1    some rows have data problems (malformed line, missing column or part, no prompt id,
       another signature); each is reported with its line number and left out of the statistics
  2    usage error (unknown reward, bad option, missing file, a k larger than a prompt's samples)
  3    infrastructure failure (a worker crashed, a reward raised)
  130  interrupted (Ctrl-C); 143 terminated (SIGTERM)"""

_GRADED = (Status.CORRECT.value,)


# -- reading rows, scored or to score -------------------------------------------------------------


_Graded = tuple[cli._Row, Verdict, dict[str, Verdict]]


@dataclass
class _Reader:
    """Yields ``(row, combined, parts)`` for every input line, scoring or reading each row."""

    args: argparse.Namespace
    err: IO[str]
    tally: cli._Tally = field(default_factory=cli._Tally)
    signature: str = ""
    scoring: bool = False
    pool: Any = None

    def rows(self, source: Any, consumed: list[int], bar: Any) -> Iterator[_Graded]:
        rows = cli._read_rows(source, consumed)
        head: list[cli._Row] = []
        for row in rows:
            head.append(row)
            if row.data is not None:
                break
        first = next((r.data for r in head if r.data is not None), None)
        scored = first is not None and isinstance(first.get(self.args.key), dict) and "rewards" in first[self.args.key]
        self.scoring = bool(self.args.reward) or not scored
        everything = _chain(head, rows)
        if self.scoring:
            yield from self._score(everything, consumed, bar)
        else:
            yield from self._read(everything, consumed, bar)

    def _score(self, rows: Iterator[cli._Row], consumed: list[int], bar: Any) -> Iterator[Any]:
        mapping = cli._parse_pairs(self.args.map or [], "--map")
        if not self.args.reward:
            self.args.reward = getattr(self.args, "default_rewards", None)
        reward, self.pool = cli.build_reward(self.args)
        fields = cli._Fields.of(reward, mapping)
        self.signature = reward.signature()
        size = self.args.batch_size or (1024 if reward.backend is not None else 256)
        batches = cli._batches(rows, size, cli._group_key(reward, mapping), self.err)
        scored = cli._scored_ahead if reward.backend is not None else cli._scored_inline
        for batch, results, failure in scored(batches, lambda b: cli._score_batch(reward, b, fields)):
            if isinstance(failure, InfrastructureError):
                raise failure
            if failure is not None and not isinstance(failure, Exception):
                raise failure
            if failure is not None:
                detail = f"internal error: {type(failure).__name__}: {failure}"
                self.err.write(f"verify: lines {batch[0].line}-{batch[-1].line}: {detail} (rows left out)\n")
                results = [(Verdict(None, Status.INFRA_ERROR, detail=detail), {}) for _ in batch]
                self.tally.internal_errors += len(batch)
            for row, (combined, parts) in zip(batch, results):
                cli._tally(self.tally, row, combined, parts, self.err)
                yield row, combined, parts
            if bar is not None:
                bar.update(consumed[0] - bar.n)

    def _read(self, rows: Iterator[cli._Row], consumed: list[int], bar: Any) -> Iterator[Any]:
        key = self.args.key
        for row in rows:
            combined, parts = Verdict(None, Status.MALFORMED_INPUT, detail=row.error or ""), {}
            if row.data is not None:
                obj = row.data.get(key)
                try:
                    if not isinstance(obj, dict) or not isinstance(obj.get("rewards"), dict):
                        raise ValueError(f"no {key!r} object with the rewards (was the file scored?)")
                    signature = obj.get("signature")
                    if not self.signature:
                        self.signature = str(signature)
                    elif signature != self.signature:
                        raise ValueError(f"scored with another signature: {signature!r}")
                    parts = {str(name): cli.verdict_of(v) for name, v in obj["rewards"].items()}
                    combined = cli.verdict_of(obj)
                except ValueError as exc:  # includes an unknown status
                    combined, parts = Verdict(None, Status.MALFORMED_INPUT, detail=str(exc)), {}
            cli._tally(self.tally, row, combined, parts, self.err)
            yield row, combined, parts
            if bar is not None and row.line % 4096 == 0:
                bar.update(consumed[0] - bar.n)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()


def _chain(head: list[cli._Row], rest: Iterator[cli._Row]) -> Iterator[cli._Row]:
    yield from head
    yield from rest


def _problem(tally: cli._Tally, line: int, kind: str, detail: str, err: IO[str]) -> None:
    tally.problems[kind] = tally.problems.get(kind, 0) + 1
    if tally.reported < cli._MAX_REPORTS:
        err.write(f"verify: line {line}: {detail}\n")
    elif tally.reported == cli._MAX_REPORTS:
        err.write("verify: further problems are counted but not printed\n")
    tally.reported += 1


def _prompt_key(data: dict[str, Any], id_field: str, prompt_field: str) -> Any:
    key = data.get(id_field)
    if key is not None:
        return json.dumps(key, sort_keys=True) if isinstance(key, (dict, list)) else key
    prompt = data.get(prompt_field)
    if prompt is None or isinstance(prompt, str):
        return prompt
    return json.dumps(prompt, sort_keys=True, ensure_ascii=False)


def _run_reading(args: argparse.Namespace, body: Any) -> int:
    """Open the input, run ``body(reader, rows)`` with the progress bar and the signal
    handling of ``verify score``, and clean up."""
    err = sys.stderr
    source, size = cli._open_input(args.input)
    reader = _Reader(args, err)
    bar = cli._progress(size, not args.quiet and err.isatty())
    consumed = [0]
    previous = cli.signal.getsignal(cli.signal.SIGTERM)
    if cli._in_main_thread():
        cli.signal.signal(cli.signal.SIGTERM, cli._raise_terminated)
    try:
        return int(body(reader, reader.rows(source, consumed, bar)))
    except cli._Terminated:
        err.write("\nverify: terminated\n")
        return cli.EXIT_TERMINATED
    finally:
        if cli._in_main_thread():
            cli.signal.signal(cli.signal.SIGTERM, previous)
        if bar is not None:
            bar.close()
        if source is not sys.stdin.buffer:
            source.close()
        reader.close()


def _exit_code(tally: cli._Tally) -> int:
    if tally.internal_errors:
        return cli.EXIT_INFRA
    return cli.EXIT_DATA if tally.problems else cli.EXIT_OK


# -- verify eval -----------------------------------------------------------------------------------


def _ks(text: str) -> tuple[int, ...]:
    try:
        ks = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers") from None
    if not ks or min(ks) < 1:
        raise argparse.ArgumentTypeError(f"every k must be a positive integer, not {text!r}")
    return tuple(sorted(set(ks)))


def cmd_eval(args: argparse.Namespace) -> int:
    evaluation = Evaluation(args.k, resamples=args.resamples, seed=args.seed)
    by_field = args.by or "data_source"
    prompt_field = cli._parse_pairs(args.map or [], "--map").get("prompt", "prompt")

    def body(reader: _Reader, rows: Iterator[Any]) -> int:
        err, tally = reader.err, reader.tally
        part_name: str | None = args.part
        has_by = False
        for row, combined, parts in rows:
            if row.data is None or (combined.status is Status.MALFORMED_INPUT and not parts):
                continue  # already reported with its line number
            if part_name is None:
                part_name = "accuracy" if "accuracy" in parts or not parts else next(iter(parts))
            prompt = _prompt_key(row.data, args.id, prompt_field)
            if prompt is None:
                detail = f"no {args.id!r} or {prompt_field!r} to group the row by"
                _problem(tally, row.line, "no_prompt_id", detail, err)
                continue
            verdict = parts.get(part_name) if parts else combined
            if verdict is None:
                _problem(tally, row.line, "missing_part", f"no reward {part_name!r} in the row's verdicts", err)
                continue
            group = row.data.get(by_field)
            has_by = has_by or group is not None
            if isinstance(group, (dict, list)):
                group = json.dumps(group, sort_keys=True)
            correct = None if verdict.reward is None else verdict.status.value in _GRADED
            evaluation.add(prompt, correct=correct, answer=verdict.extracted, status=verdict.status.value, group=group)
        try:
            summary = evaluation.summary()
        except KTooLarge as exc:
            err.write(f"verify: --k: {exc}\n")
            return cli.EXIT_USAGE
        result = {"overall": summary["overall"], "by": summary["by"] if (has_by or args.by) else {}}
        result["signature"] = reader.signature
        if args.by and not has_by and tally.rows:
            err.write(f"verify: warning: no row has a field {args.by!r} (--by)\n")
        if args.json:
            sys.stdout.write(json.dumps(cli._finite(result), ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(_table(result, args.k, part_name or "accuracy", by_field))
        problems = ", ".join(f"{n} {s}" for s, n in sorted(tally.problems.items())) or "none"
        err.write(f"verify: {tally.rows} rows, {evaluation.prompts} prompts; problems: {problems}\n")
        err.write(f"verify: signature {reader.signature}\n")
        return _exit_code(tally)

    return _run_reading(args, body)


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _table(result: dict[str, Any], ks: tuple[int, ...], part: str, by_field: str) -> str:
    """Plain aligned text: one line per group and one for everything."""
    columns = ["prompts", "samples", "pass@1", "95% CI"]
    columns += [f"pass@{k}" for k in ks if k != 1] + [f"maj@{k}" for k in ks]
    lines = [(name, stats) for name, stats in result["by"].items()] + [("overall", result["overall"])]
    cells = []
    for _, stats in lines:
        low, high = stats["pass@1_ci"]
        row = [str(stats["n_prompts"]), str(stats["samples_per_prompt"]), _fmt(stats["pass@1"])]
        row.append("-" if low is None else f"[{low:.4f}, {high:.4f}]")
        row += [_fmt(stats[f"pass@{k}"]) for k in ks if k != 1] + [_fmt(stats[f"maj@{k}"]) for k in ks]
        cells.append(row)
    head = by_field if result["by"] else ""
    width0 = max(len(head), *(len(name) for name, _ in lines))
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    out = [f"{head:<{width0}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(columns, widths))]
    out.append("-" * len(out[0]))
    for (name, _), row in zip(lines, cells):
        out.append(f"{name:<{width0}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(row, widths)))
    statuses = result["overall"]["statuses"]
    out.append("")
    out.append(f"{part} statuses: " + (", ".join(f"{s} {n}" for s, n in statuses.items()) or "none"))
    return "\n".join(out) + "\n"


# -- verify filter ---------------------------------------------------------------------------------

DEFAULT_REQUIRE = ("accuracy:1", "format:1", "language_consistency:0.95")


def _requirement(text: str) -> tuple[str, float]:
    name, _, minimum = text.partition(":")
    try:
        value = float(minimum) if minimum else 1.0
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: the minimum after ':' must be a number") from None
    if not name.strip() or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME[:MIN]")
    return name.strip(), value


def _assistant_turns(completion: Any) -> list[dict[str, Any]] | None:
    if isinstance(completion, str):
        return [{"role": "assistant", "content": completion}]
    if isinstance(completion, list) and completion and all(isinstance(m, dict) for m in completion):
        turns = [
            {"role": "assistant", "content": m.get("content", m.get("value"))}
            for m in completion
            if m.get("role", m.get("from")) in ("assistant", "gpt")
        ]
        return turns if turns and all(isinstance(t["content"], str) for t in turns) else None
    return None


def _user_turns(prompt: Any) -> list[dict[str, Any]] | None:
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    if isinstance(prompt, list) and prompt and all(isinstance(m, dict) and "role" in m for m in prompt):
        return [{"role": m["role"], "content": m.get("content")} for m in prompt]
    return None


def cmd_filter(args: argparse.Namespace) -> int:
    requirements = [] if args.no_require else args.require or [_requirement(r) for r in DEFAULT_REQUIRE]
    # the rewards to score, when no -r is given and the rows are not scored yet: those the criteria read
    args.default_rewards = list(dict.fromkeys(name for name, _ in requirements)) or None
    mapping = cli._parse_pairs(args.map or [], "--map")
    prompt_field = mapping.get("prompt", "prompt")
    completion_field = mapping.get("completion", mapping.get("completions", "completion"))
    out = cli._Output(args.output)

    def body(reader: _Reader, rows: Iterator[Any]) -> int:
        err, tally = reader.err, reader.tally
        dropped: dict[str, int] = {f"{name}<{minimum:g}": 0 for name, minimum in requirements}
        dropped.update(duplicate=0, over_limit=0, unreadable=0)
        kept_per_prompt: dict[Any, int] = {}
        seen: set[bytes] = set()
        kept = 0
        try:
            for row, _combined, parts in rows:
                if row.data is None:
                    dropped["unreadable"] += 1
                    continue
                reason = None
                for name, minimum in requirements:
                    verdict = parts.get(name)
                    if verdict is None and parts:
                        _problem(tally, row.line, "missing_part", f"no reward {name!r} in the row's verdicts", err)
                    if verdict is None or verdict.reward is None or verdict.reward < minimum:
                        reason = f"{name}<{minimum:g}"
                        break
                if reason is not None:
                    dropped[reason] += 1
                    continue
                user = _user_turns(row.data.get(prompt_field))
                assistant = _assistant_turns(row.data.get(completion_field))
                if user is None or assistant is None:
                    what = prompt_field if user is None else completion_field
                    _problem(tally, row.line, "unusable_row", f"field {what!r} is not text or chat messages", err)
                    dropped["unreadable"] += 1
                    continue
                prompt = _prompt_key(row.data, args.id, prompt_field)
                if not args.keep_duplicates:
                    digest = hashlib.blake2b(
                        json.dumps([prompt, assistant], sort_keys=True, ensure_ascii=False).encode("utf-8", "replace"),
                        digest_size=16,
                    ).digest()
                    if digest in seen:
                        dropped["duplicate"] += 1
                        continue
                    seen.add(digest)
                if args.max_per_prompt and kept_per_prompt.get(prompt, 0) >= args.max_per_prompt:
                    dropped["over_limit"] += 1
                    continue
                kept_per_prompt[prompt] = kept_per_prompt.get(prompt, 0) + 1
                record: dict[str, Any] = {"messages": user + assistant}
                if row.data.get(args.id) is not None:
                    record[args.id] = row.data[args.id]
                record["signature"] = reader.signature
                out.write(cli._encode(record))
                kept += 1
        except KeyboardInterrupt:
            partial = out.abandon()
            where = f", into {partial}" if partial else ""
            err.write(f"\nverify: interrupted after {kept} rows were written{where}\n")
            return cli.EXIT_INTERRUPTED
        except BaseException:
            out.abandon()
            raise
        out.commit()
        summary = ", ".join(f"{n} {why}" for why, n in dropped.items() if n) or "none"
        err.write(f"verify: {tally.rows} rows, {kept} kept, {tally.rows - kept} dropped: {summary}\n")
        if args.stats:
            err.write(json.dumps({"rows": tally.rows, "kept": kept, "dropped": dropped}) + "\n")
        err.write(f"verify: signature {reader.signature}\n")
        return _exit_code(tally)

    return _run_reading(args, body)


# -- verify report ---------------------------------------------------------------------------------


def cmd_report(args: argparse.Namespace) -> int:
    from verifiers.errors import require
    from verifiers.report import RunStats, render

    require("matplotlib", "report", "verify report")  # before reading anything
    err = sys.stderr
    tally = cli._Tally()
    runs = []
    for path in args.inputs:
        stats = RunStats(path, key=args.key, part=args.part, id_field=args.id, by=args.by)
        source, _ = cli._open_input(path)
        try:
            for row in cli._read_rows(source, [0]):
                if row.data is None:
                    _problem(tally, row.line, "malformed_input", f"{path}: {row.error}", err)
                    continue
                try:
                    stats.add(row.data)
                except ValueError as exc:
                    _problem(tally, row.line, "not_scored", f"{path}: {exc}", err)
        finally:
            if source is not sys.stdin.buffer:
                source.close()
        runs.append(stats)
    page = render(runs, title=args.title)
    out = cli._Output(args.output)
    try:
        out.write(page.encode("utf-8"))
    except BaseException:
        out.abandon()
        raise
    out.commit()
    problems = ", ".join(f"{n} {s}" for s, n in sorted(tally.problems.items())) or "none"
    err.write(f"verify: report of {len(runs)} files, {sum(r.rows for r in runs)} rows; problems: {problems}\n")
    return _exit_code(tally)


# -- the parsers -----------------------------------------------------------------------------------


def add_commands(sub: Any) -> None:
    """Add ``eval``, ``filter`` and ``report`` to the ``verify`` parser's subcommands."""
    fmt = argparse.RawDescriptionHelpFormatter
    ev = sub.add_parser(
        "eval",
        help="pass@1 with a confidence interval, pass@k and maj@k over k samples per prompt",
        description="Evaluate k sampled completions per prompt: pass@1 (the mean over the samples, with a "
        "seeded bootstrap 95% interval over prompts), unbiased pass@k, maj@k (answers clustered by math "
        "equivalence; ties go to the answer seen first) and the count of each status, per group and "
        "overall. Rows are scored with -r, or read as scored when they carry the object 'verify score' "
        "writes.",
        epilog=EVAL_EXIT_CODES,
        formatter_class=fmt,
    )
    ev.add_argument("input", help="JSONL file, or - for standard input")
    ev.add_argument(
        "--k", type=_ks, default=(1,), metavar="K[,K...]", help="the k's of pass@k and maj@k, e.g. 1,8,64 (default: 1)"
    )
    ev.add_argument(
        "--id", default="prompt_id", metavar="COLUMN",
        help="the prompt's id column (default: prompt_id; rows without it are grouped by their prompt text)",
    )
    ev.add_argument(
        "--by", default=None, metavar="COLUMN", help="report per value of this column (default: data_source, if any)"
    )
    ev.add_argument(
        "--part", default=None, metavar="NAME",
        help="the reward whose status 'correct' is a pass and whose extracted answer votes "
        "(default: accuracy, else the first reward)",
    )
    ev.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    ev.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: 0)")
    ev.add_argument("--resamples", type=cli._count(1), default=1000, help="bootstrap resamples (default: 1000)")
    cli.add_scoring_options(ev)
    ev.add_argument("--key", default="verify", help="the field holding the scores, when read (default: verify)")
    ev.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    ev.set_defaults(func=cmd_eval)

    flt = sub.add_parser(
        "filter",
        help="rejection sampling (R1 stage 3): keep correct, well-formatted completions as SFT chat rows",
        description="Rejection sampling as in DeepSeek-R1's third stage: keep the completions that pass every "
        "criterion (a reward at or above its minimum), at most N per prompt, identical completions of a "
        "prompt once; write chat-format SFT rows {\"messages\": [user..., assistant]} with the prompt id "
        "and the signature, and say how many rows each criterion dropped.",
        epilog=EVAL_EXIT_CODES,
        formatter_class=fmt,
    )
    flt.add_argument("input", help="JSONL file, or - for standard input")
    flt.add_argument(
        "-o", "--output", default="-",
        help="where to write the SFT JSONL (default: -); a file is replaced only when the run completes",
    )
    flt.add_argument(
        "--require", action="append", type=_requirement, metavar="NAME[:MIN]",
        help="keep a row only when reward NAME is at least MIN (default 1); repeatable; replaces the default "
        f"{' '.join(DEFAULT_REQUIRE)}",
    )
    flt.add_argument("--no-require", action="store_true", help="no criterion (only deduplicate and limit)")
    flt.add_argument("-n", "--max-per-prompt", type=cli._count(0), default=0, help="keep at most N per prompt (0: all)")
    flt.add_argument("--keep-duplicates", action="store_true", help="keep identical completions of a prompt")
    flt.add_argument("--id", default="prompt_id", metavar="COLUMN", help="the prompt's id column (default: prompt_id)")
    flt.add_argument("--stats", action="store_true", help="also print the drop counts as one JSON line on stderr")
    cli.add_scoring_options(flt, default="the criteria's rewards, when the rows are not scored")
    flt.add_argument("--key", default="verify", help="the field holding the scores, when read (default: verify)")
    flt.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    flt.set_defaults(func=cmd_filter)

    rep = sub.add_parser(
        "report",
        help="a self-contained HTML page of one or more scored files, side by side",
        description="Write a self-contained HTML page (plots inlined as SVG, nothing loaded from the network) "
        "for one or more files scored by 'verify score', side by side: reward distribution per reward, "
        "status breakdown, pass@k over k, a per-source table, completion length against reward. Needs "
        "matplotlib: pip install 'reasoning-verifiers[report]'.",
        epilog=EVAL_EXIT_CODES,
        formatter_class=fmt,
    )
    rep.add_argument("inputs", nargs="+", metavar="input", help="scored JSONL files")
    rep.add_argument(
        "-o", "--output", default="-",
        help="where to write the HTML (default: -); a file is replaced only when complete",
    )
    rep.add_argument("--title", default="verify report", help="the page's title")
    rep.add_argument(
        "--part", default=None, metavar="NAME", help="the reward whose 'correct' is a pass (default: accuracy)"
    )
    rep.add_argument("--id", default="prompt_id", metavar="COLUMN", help="the prompt's id column (default: prompt_id)")
    rep.add_argument("--by", default="data_source", metavar="COLUMN", help="the column of the per-source table")
    rep.add_argument("--key", default="verify", help="the field holding the scores (default: verify)")
    rep.set_defaults(func=cmd_report)
