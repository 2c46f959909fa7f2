"""What a learned reward model reads: the part of a completion it judges, and the prompt.

DeepSeek-R1 (arXiv:2501.12948, section 2.3.4) judges helpfulness "exclusively" on the final
summary and harmlessness on the entire response, reasoning included. :func:`segment_text` cuts
a completion accordingly, with the tag rules of :mod:`verifiers.extract.tags`:

* ``"answer"``: the text after the last ``</think>``. A completion that opens ``<think>`` and
  never closes it (or, with ``prefill``, has no ``</think>``) was cut off inside its reasoning
  and has no answer: ``None``. A completion with no think tag at all is all answer.
* ``"reasoning"``: the chain of thought, as :func:`~verifiers.extract.tags.think_content` reads
  it (a truncated completion's reasoning is the text after ``<think>``); ``None`` when there is
  no think tag (with ``prefill``, a completion without ``</think>`` is all reasoning).
* ``"full"``: the whole completion.

Segments are stripped of surrounding whitespace; an empty segment counts as absent.
"""

from __future__ import annotations

from typing import Literal

from verifiers.extract.messages import prompt_messages, prompt_text
from verifiers.extract.tags import END_THINK, THINK, think_content

__all__ = ["Segment", "prompt_messages", "prompt_text", "segment_text"]

Segment = Literal["answer", "reasoning", "full"]


def segment_text(text: str, segment: Segment = "answer", *, prefill: bool = False) -> str | None:
    """The part of a completion that a reward model judges, stripped; ``None`` when absent or blank.

    Args:
        text: The completion's text.
        segment: ``"answer"``, ``"reasoning"`` or ``"full"`` (see the module docstring).
        prefill: The prompt ends with ``<think>``, so the completion starts inside the reasoning.

    >>> segment_text("<think>2+2 is 4</think>\\n\\nThe answer is 4.")
    'The answer is 4.'
    >>> segment_text("<think>2+2 is 4</think> 4", "reasoning"), segment_text(" 4 ", "full")
    ('2+2 is 4', '4')
    >>> segment_text("<think>still thinking") is None, segment_text("just an answer")
    (True, 'just an answer')
    >>> segment_text("thinking without the opening tag", prefill=True) is None
    True
    """
    if segment == "full":
        out: str | None = text
    elif segment == "answer":
        close = text.rfind(END_THINK)
        if close >= 0:
            out = text[close + len(END_THINK) :]
        elif prefill or THINK in text:  # cut off inside its reasoning
            out = None
        else:
            out = text
    elif segment == "reasoning":
        out = think_content(text, "think")
        if out is None and prefill:
            out = text
    else:
        raise ValueError(f"segment must be 'answer', 'reasoning' or 'full', not {segment!r}")
    if out is None:
        return None
    out = out.strip()
    return out or None
