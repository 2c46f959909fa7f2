"""The incumbents' reward functions, re-written here from their published behaviour (not imported,
not copied), for parity tests and benchmarks.

* TinyZero's Countdown score (``verl/utils/reward_score/countdown.py`` in Jiayi-Pan/TinyZero):
  the text after the first ``Assistant:`` (or ``<|im_start|>assistant``), its **last line**, the
  last ``<answer>(.*?)</answer>`` on it; every ``\\d+`` in the equation must be the given
  numbers exactly; a character filter ``^[\\d+\\-*/().\\s]+$``; ``eval`` with no builtins; a
  float comparison within 1e-5. 1.0 when right, 0.1 (``format_score``) for any answer that is
  not right, 0 with no answer.
* Logic-RL's Knights and Knaves score (``verl/utils/reward_score/kk.py`` in Unakar/Logic-RL):
  the text after ``Assistant:``/``<|im_start|>assistant``; a format gate (each of ``<think>``,
  ``</think>``, ``<answer>``, ``</answer>`` exactly once, in order): +1 or -1; the last
  ``<answer>`` content: the count of "knight" and "knave" substrings must equal the number of
  people, and each name must appear as ``NAME is a (knight|knave)`` (case-insensitive), else
  -2; all roles right +2, else -1.5. The reference roles come from ``solution_text_format``,
  one ``(i) Name is a role`` per line (the first word and the first role word of each line).

:func:`tinyzero_filter_accepts` shows that a power tower would reach TinyZero's ``eval``, without
handing it there (the one thing the tests must not do).
"""

from __future__ import annotations

import re

__all__ = ["logic_rl_score", "tinyzero_filter_accepts", "tinyzero_score"]

_TZ_ANSWER = re.compile(r"<answer>(.*?)</answer>")
_TZ_ALLOWED = re.compile(r"^[\d+\-*/().\s]+$")


def _tz_extract(solution_str: str) -> str | None:
    if "Assistant:" in solution_str:
        solution_str = solution_str.split("Assistant:", 1)[1]
    elif "<|im_start|>assistant" in solution_str:
        solution_str = solution_str.split("<|im_start|>assistant", 1)[1]
    else:
        return None
    last_line = solution_str.split("\n")[-1]
    found = list(_TZ_ANSWER.finditer(last_line))
    return found[-1].group(1).strip() if found else None


def _tz_numbers_ok(equation: str, numbers: list) -> bool:
    try:
        used = sorted(int(n) for n in re.findall(r"\d+", equation))
        return used == sorted(numbers)
    except Exception:
        return False


def tinyzero_filter_accepts(equation: str, numbers: list) -> bool:
    """Whether TinyZero would hand ``equation`` to ``eval`` (number check and character filter)."""
    return _tz_numbers_ok(equation, numbers) and bool(_TZ_ALLOWED.match(equation))


def tinyzero_score(solution_str: str, target, numbers, format_score: float = 0.1, score: float = 1.0) -> float:
    """TinyZero's ``compute_score`` (without its random printing). ``solution_str`` is the
    prompt and the response, as TinyZero receives them."""
    equation = _tz_extract(solution_str)
    if equation is None:
        return 0
    if not _tz_numbers_ok(equation, numbers):
        return format_score
    if not _TZ_ALLOWED.match(equation):
        return format_score
    try:
        result = eval(equation, {"__builtins__": None}, {})
        return score if abs(result - target) < 1e-5 else format_score
    except Exception:
        return format_score


# -- Logic-RL ----------------------------------------------------------------------------------
_LR_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_LR_GOLD_LINE = re.compile(r"\b([A-Za-z]+)\b.*?\b(knight|knave)\b", re.IGNORECASE)


def _lr_gold(solution_text_format: str) -> dict[str, str]:
    roles = {}
    for line in solution_text_format.split("\n"):
        match = _LR_GOLD_LINE.search(line.strip())
        if match:
            roles[match.group(1)] = match.group(2).lower()
    return roles


def _lr_format_ok(text: str) -> bool:
    ok = True
    positions = {}
    for tag in ("<think>", "</think>", "<answer>", "</answer>"):
        positions[tag] = text.find(tag)
        if text.count(tag) != 1:
            ok = False
    order = [positions[t] for t in ("<think>", "</think>", "<answer>", "</answer>")]
    if order[0] > order[1] or order[1] > order[2] or order[2] > order[3]:
        ok = False
    return ok


def _lr_parse(answer: str, names: list[str]) -> dict[str, str] | None:
    lowered = answer.lower()
    if lowered.count("knight") + lowered.count("knave") != len(names):
        return None
    roles = {}
    for name in names:
        match = re.search(rf"\b{re.escape(name)}\b\s+is\s+a\s+\b(knight|knave)\b", answer, re.IGNORECASE)
        if not match:
            return None
        roles[name] = match.group(1).lower()
    return roles


def logic_rl_score(solution_str: str, solution_text_format: str) -> float:
    """Logic-RL's ``compute_score`` (format ±1 plus answer +2 / -1.5 / -2; without printing)."""
    gold = _lr_gold(solution_text_format)
    if "Assistant:" in solution_str:
        text = solution_str.split("Assistant:", 1)[1]
    elif "<|im_start|>assistant" in solution_str:
        text = solution_str.split("<|im_start|>assistant", 1)[1]
    else:
        text = solution_str
    found = list(_LR_ANSWER.finditer(text)) if text is not solution_str else []
    answer = found[-1].group(1).strip() if found else None
    format_ok = _lr_format_ok(text)
    format_score = 1 if format_ok else -1
    if format_ok and answer:
        predicted = _lr_parse(answer, list(gold))
        if predicted is None:
            answer_score = -2.0
        elif predicted == gold:
            answer_score = 2.0
        else:
            answer_score = -1.5
    else:
        answer_score = -2.0
    return format_score + answer_score
