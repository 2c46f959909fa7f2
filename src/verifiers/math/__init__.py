"""Math answer verification: extract → parse (fast, exact) → compare → (bounded sympy tail) → reward."""

from verifiers.math.compare import Comparison, compare_answers
from verifiers.math.reward import MathAccuracy, MathConfig, accuracy_reward, grade_math, reference_answer

__all__ = [
    "Comparison",
    "MathAccuracy",
    "MathConfig",
    "accuracy_reward",
    "compare_answers",
    "grade_math",
    "reference_answer",
]
