"""A griffe extension for the docs site only: the docstrings in src/ are written for ``help()``,
doctest and reST-minded readers; this turns the reST habits they use into Markdown before
mkdocstrings renders them (the sources stay as they are).

- a doctest block (``>>>`` lines up to a blank line) becomes a fenced ``pycon`` block (Markdown
  would render it as nested block quotes, and read ``x["a"]["b"]`` as a reference link);
- a paragraph ending in ``::`` ends in ``:`` (the indented block after it already is a code block);
- a ``#:`` comment above an attribute (Sphinx's doc comment, e.g. above ``accuracy_reward =
  MathAccuracy()``) becomes its docstring, which griffe does not read by itself;
- Sphinx roles (``:class:`Verdict```, ``:func:`~verifiers.x```) become inline code (``Verdict``, ``x``).

Loaded by mkdocs.yml (``extensions:`` of the python handler); excluded from the site itself.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|const):`(~?)([^`]+)`")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _role(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"  # Sphinx's ~ shows the last part


def markdown_docstring(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    in_fence = in_doctest = False
    indent = ""
    for line in lines:
        stripped = line.strip()
        if in_doctest:
            if stripped:
                out.append(line)
                continue
            out.append(indent + "```")
            in_doctest = False
        if in_fence:
            out.append(line)
            if _FENCE.match(line):
                in_fence = False
            continue
        if _FENCE.match(line):
            in_fence = True
            out.append(line)
            continue
        if stripped.startswith(">>>"):
            indent = line[: len(line) - len(line.lstrip())]
            if out and out[-1].strip():
                out.append("")  # a fence needs no blank line before it, but a list item does
            out.extend([indent + "```pycon", line])
            in_doctest = True
            continue
        line = _ROLE.sub(_role, line)
        if line.endswith("::") and line.strip() != "::":
            line = line[:-1]
        out.append(line)
    if in_doctest:
        out.append(indent + "```")
    return "\n".join(out)


class MarkdownDocstrings(griffe.Extension):
    """Rewrite each docstring once, when griffe has created its object."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown_docstring(obj.docstring.value)

    def on_attribute_instance(self, *, attr: griffe.Attribute, agent: Any, **kwargs: Any) -> None:
        code = getattr(agent, "code", None)  # the visitor has the module's source; the inspector not
        if attr.docstring is not None or not code or not attr.lineno:
            return
        lines = code.split("\n")
        comment: list[str] = []
        i = attr.lineno - 2
        while i >= 0 and lines[i].strip().startswith("#:"):
            comment.insert(0, lines[i].strip()[2:].strip())
            i -= 1
        if comment:
            attr.docstring = griffe.Docstring(
                markdown_docstring("\n".join(comment)), lineno=i + 2, endlineno=attr.lineno - 1, parent=attr
            )
