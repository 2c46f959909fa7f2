"""Extraction: from a completion to the parts a reward judges (text, tags, boxed answers)."""

from verifiers.extract.answer import extract_answer, last_boxed
from verifiers.extract.messages import completion_text
from verifiers.extract.tags import count_tags, last_tag_content, think_content

__all__ = [
    "completion_text",
    "count_tags",
    "extract_answer",
    "last_boxed",
    "last_tag_content",
    "think_content",
]
