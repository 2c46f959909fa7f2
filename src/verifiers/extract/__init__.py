"""Extraction: from a completion to the parts a reward judges (text, tags, boxed answers)."""

from verifiers.extract.answer import extract_answer, last_boxed, last_tag_content
from verifiers.extract.messages import completion_text

__all__ = ["completion_text", "extract_answer", "last_boxed", "last_tag_content"]
