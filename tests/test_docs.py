"""Every Python example in README.md and docs/**/*.md runs.

Each fenced block whose info string starts with ``python`` (or ``py``) is executed; ``pycon``
blocks, and ``python`` blocks that start with ``>>>``, are run by :mod:`doctest`, so their
shown output is checked. The blocks of one file share one namespace and run in order (a later
block may use names from an earlier one), as a reader pasting them into one script would; the
namespace's ``__name__`` is ``"__main__"``, so ``if __name__ == "__main__":`` blocks run too.
The working directory is the repository root.

A block that cannot run here (it needs a real model, dataset or GPU) is marked in the Markdown,
visibly, by a comment on the line before its fence::

    <!-- no-run: downloads a model and trains it -->
    ```python
    ...

Such a block is still compiled (a syntax error always fails) and is reported as skipped, with
its id and reason, in pytest's summary (``-ra``).
"""

from __future__ import annotations

import doctest
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

PYTHON = {"python", "py", "python3"}
PYCON = {"pycon", "doctest"}
_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*?)[ \t]*$")
_NO_RUN = re.compile(r"^\s*<!--\s*no-run:\s*(?P<reason>\S.*?)\s*-->\s*$")

# Blocks known not to run, with the reason (strict: once a block runs, its entry must go).
XFAIL: dict[str, str] = {}


@dataclass(frozen=True)
class Block:
    path: str  # relative to the repository root
    number: int  # 1-based among the file's Python blocks
    line: int  # 1-based line of the first line of code
    code: str
    doctest: bool
    no_run: str | None  # the reason, when the block is marked no-run

    @property
    def id(self) -> str:
        return f"{self.path}:block{self.number}"


def _dedent(line: str, indent: int) -> str:
    """A fenced line without the fence's indentation (a fence inside a list item)."""
    head = line[:indent]
    return line[indent:] if not head or head.isspace() else line.lstrip()


def parse_blocks(path: Path) -> list[Block]:
    """The Python (and pycon) fenced blocks of a Markdown file, in order."""
    rel = path.relative_to(ROOT).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        match = _OPEN.match(lines[i])
        if not match:
            i += 1
            continue
        fence, indent = match["fence"], len(match["indent"])
        words = match["info"].split()
        lang = words[0].lower() if words else ""
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        body = [_dedent(line, indent) for line in lines[i + 1 : j]]
        if lang in PYTHON | PYCON:
            code = "\n".join(body) + "\n"
            first = next((line.strip() for line in body if line.strip()), "")
            previous = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
            marker = _NO_RUN.match(previous)
            blocks.append(
                Block(
                    path=rel,
                    number=len(blocks) + 1,
                    line=i + 2,
                    code=code,
                    doctest=lang in PYCON or first.startswith(">>>"),
                    no_run=marker["reason"] if marker else None,
                )
            )
        i = j + 1
    return blocks


BLOCKS = [block for path in DOC_FILES for block in parse_blocks(path)]
LAST = {block.path: block.number for block in BLOCKS}


def _compile(block: Block) -> Any:
    """Compile the block (each example's source for a doctest), with the Markdown's line numbers."""
    if block.doctest:
        examples = doctest.DocTestParser().get_examples(block.code)
        assert examples, f"{block.id}: a pycon block without any >>> example"
        for example in examples:
            compile("\n" * (block.line - 1 + example.lineno) + example.source, block.path, "single")
        return None
    return compile("\n" * (block.line - 1) + block.code, block.path, "exec")


@dataclass
class _FileState:
    namespace: dict[str, Any] = field(default_factory=lambda: {"__name__": "__main__"})
    done: int = 0  # blocks 1..done have been dealt with
    broken: str | None = None  # the id of an earlier block that failed


_STATE: dict[str, _FileState] = {}


def _run(block: Block, namespace: dict[str, Any]) -> None:
    code = _compile(block)
    if block.no_run is not None:
        return
    if not block.doctest:
        exec(code, namespace)
        return
    test = doctest.DocTestParser().get_doctest(block.code, namespace, block.id, block.path, block.line - 1)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report = io.StringIO()
    runner.run(test, out=report.write, clear_globs=False)
    if runner.failures:
        pytest.fail(f"{block.id}: doctest failed\n{report.getvalue()}", pytrace=False)


def _catch_up(block: Block) -> _FileState:
    """The file's namespace after every earlier block ran (when a test is selected alone)."""
    state = _STATE.setdefault(block.path, _FileState())
    for earlier in BLOCKS:
        if earlier.path == block.path and state.done < earlier.number < block.number:
            state.done = earlier.number
            try:
                _run(earlier, state.namespace)
            except BaseException:
                if earlier.id not in XFAIL and earlier.no_run is None:
                    state.broken = earlier.id
    return state


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(b, id=b.id, marks=[pytest.mark.xfail(reason=XFAIL[b.id], strict=True)] if b.id in XFAIL else [])
        for b in BLOCKS
    ],
)
def test_doc_block(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    state = _catch_up(block)
    if state.broken is not None:
        pytest.fail(f"{state.broken} failed, so {block.id} cannot run after it", pytrace=False)
    state.done = block.number
    try:
        _run(block, state.namespace)
    except BaseException:
        if block.id not in XFAIL and block.no_run is None:  # a no-run block leaves no names behind
            state.broken = block.id
        raise
    if block.number == LAST[block.path]:
        state.namespace.clear()  # drop the file's objects (and any worker pools they hold)
    if block.no_run is not None:
        pytest.skip(f"{block.id}: no-run, compiled only: {block.no_run}")


def test_blocks_are_found() -> None:
    """The parser sees the examples (a broken parser would make every test above vanish)."""
    paths = {b.path for b in BLOCKS}
    assert {"README.md", "docs/quickstart.md", "docs/rewards/format.md"} <= paths
    assert any(b.doctest for b in BLOCKS)
    assert len({b.id for b in BLOCKS}) == len(BLOCKS)


def test_xfail_entries_name_existing_blocks() -> None:
    assert set(XFAIL) <= {b.id for b in BLOCKS}


def test_no_run_blocks_are_rare() -> None:
    """no-run is for blocks that need a real model/dataset/GPU: a GRPOTrainer with a model."""
    for block in BLOCKS:
        if block.no_run is not None:
            assert "GRPOTrainer(" in block.code, f"{block.id} is marked no-run but builds no GRPOTrainer"
