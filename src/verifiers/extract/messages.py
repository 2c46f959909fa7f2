"""Turn a completion (plain text or a conversation) into the text that rewards judge."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from verifiers.errors import InputError

__all__ = ["completion_text", "prompt_messages", "prompt_text"]

# ShareGPT's speaker names, mapped to chat roles (of a prompt's messages: _PROMPT_ROLES, where
# any other speaker is the user's).
_PROMPT_ROLES = {"human": "user", "gpt": "assistant", "system": "system"}
_SHAREGPT_ROLES = {"gpt": "assistant", "human": "user", "system": "system", "tool": "tool", "function": "tool"}


def _content_text(content: Any) -> str:
    if content is None:  # an assistant turn that only calls tools: no text
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


def _role_and_text(message: Any) -> tuple[str, Any]:
    """``(role, content)`` of a chat message (``role``/``content``) or a ShareGPT one (``from``/``value``)."""
    if not isinstance(message, Mapping):
        raise InputError(f"a conversation must be a list of message dicts, found {type(message).__name__}")
    if "content" in message:
        return str(message.get("role", "assistant")), message["content"]
    if "value" in message and "from" in message:
        speaker = str(message["from"])
        return _SHAREGPT_ROLES.get(speaker, speaker), message["value"]
    raise InputError(f"a message needs 'content' (or ShareGPT's 'from' and 'value'); it has {sorted(message)[:5]}")


def completion_text(completion: Any) -> str:
    """The text of a completion.

    A string is returned as it is. A conversation (TRL's conversational format: a list of
    ``{"role", "content"}`` messages, or ShareGPT's ``{"from", "value"}``) yields the content of
    its last assistant message (a message without a role counts as the assistant's); a single
    message dict is accepted too.

    Raises:
        InputError: anything else, which is the data's fault: a number or ``None``, a message
            without content, a conversation with no assistant message.

    >>> completion_text("<answer>4</answer>")
    '<answer>4</answer>'
    >>> completion_text([{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "\\\\boxed{4}"}])
    '\\\\boxed{4}'
    >>> completion_text([{"from": "human", "value": "2+2?"}, {"from": "gpt", "value": "4"}])
    '4'
    >>> completion_text([{"role": "user", "content": "2+2?"}])
    Traceback (most recent call last):
    ...
    verifiers.errors.InputError: the conversation has no assistant message
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        return _content_text(_role_and_text(completion)[1])
    if isinstance(completion, Sequence) and not isinstance(completion, (bytes, bytearray)):
        for message in reversed(completion):
            role, content = _role_and_text(message)
            if role == "assistant":
                return _content_text(content)
        raise InputError("the conversation has no assistant message")
    raise InputError(f"a completion must be a string or a list of messages, not {type(completion).__name__}")


def _message(message: Any) -> dict[str, str]:
    if not isinstance(message, Mapping):
        raise InputError(f"a prompt must be a string or a list of message dicts, found {type(message).__name__}")
    role = message.get("role")
    if role is None:
        role = _PROMPT_ROLES.get(str(message.get("from")), "user")
    return {"role": str(role), "content": completion_text(message)}


def prompt_messages(prompt: Any) -> list[dict[str, str]]:
    """A prompt as chat messages: a string is one user message; messages keep their roles and
    their text content (parts joined, ShareGPT's ``from``/``value`` read); ``None`` is none.

    Raises:
        InputError: anything else (the data's fault).

    >>> prompt_messages("2+2?")
    [{'role': 'user', 'content': '2+2?'}]
    >>> prompt_messages([{"role": "system", "content": "Be brief."}, {"from": "human", "value": "2+2?"}])
    [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': '2+2?'}]
    """
    if prompt is None:
        return []
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    if isinstance(prompt, Mapping):
        return [_message(prompt)]
    if isinstance(prompt, Sequence) and not isinstance(prompt, (bytes, bytearray)):
        return [_message(m) for m in prompt]
    raise InputError(f"a prompt must be a string or a list of messages, not {type(prompt).__name__}")


def prompt_text(prompt: Any) -> str:
    """A prompt as plain text: a string as it is, messages' contents joined by a newline.

    >>> prompt_text([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}])
    'Be brief.\\n2+2?'
    """
    if isinstance(prompt, str):
        return prompt
    return "\n".join(m["content"] for m in prompt_messages(prompt))
