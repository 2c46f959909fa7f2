"""Turn a completion (plain text or a conversation) into the text that rewards judge."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from verifiers.errors import InputError

__all__ = ["completion_text"]


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):  # multimodal parts: [{"type": "text", "text": ...}, ...]
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, Mapping) and part.get("type", "text") == "text":
                parts.append(str(part.get("text", "")))
        return "".join(parts)
    raise InputError(f"message content must be text or a list of parts, not {type(content).__name__}")


def completion_text(completion: Any) -> str:
    """The text of a completion.

    A string is returned as it is. A conversation (TRL's conversational format: a list of
    ``{"role", "content"}`` messages) yields the content of its last ``assistant`` message
    (messages without a role count as the assistant's); a single message dict is accepted too.

    Raises:
        InputError: for anything else (a number, ``None``), which is the caller's mistake.

    >>> completion_text("<answer>4</answer>")
    '<answer>4</answer>'
    >>> completion_text([{"role": "assistant", "content": "\\\\boxed{4}"}])
    '\\\\boxed{4}'
    >>> completion_text([{"role": "assistant", "content": "a"}, {"role": "tool", "content": "x"},
    ...                  {"role": "assistant", "content": [{"type": "text", "text": "b"}]}])
    'b'
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        return _content_text(completion.get("content"))
    if isinstance(completion, Sequence) and not isinstance(completion, (bytes, bytearray)):
        for message in reversed(completion):
            if not isinstance(message, Mapping):
                raise InputError(f"a conversation must be a list of message dicts, found {type(message).__name__}")
            if message.get("role", "assistant") == "assistant":
                return _content_text(message.get("content"))
        return ""
    raise InputError(f"a completion must be a string or a list of messages, not {type(completion).__name__}")
