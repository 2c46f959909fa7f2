"""Science and logic puzzles: multiple choice (GPQA, MMLU), TinyZero's Countdown, Logic-RL's
Knights and Knaves. One module per reward; :mod:`verifiers.puzzles.arith` is Countdown's exact
arithmetic parser."""

from verifiers.puzzles.choice import ChoiceConfig, ChoiceReward, choice_reward, grade_choice, read_choice
from verifiers.puzzles.countdown import CountdownConfig, CountdownReward, countdown_reward, grade_countdown
from verifiers.puzzles.knights import KnightsConfig, KnightsKnaves, grade_knights, knights_knaves_reward, read_roles

__all__ = [
    "ChoiceConfig",
    "ChoiceReward",
    "CountdownConfig",
    "CountdownReward",
    "KnightsConfig",
    "KnightsKnaves",
    "choice_reward",
    "countdown_reward",
    "grade_choice",
    "grade_countdown",
    "grade_knights",
    "knights_knaves_reward",
    "read_choice",
    "read_roles",
]
