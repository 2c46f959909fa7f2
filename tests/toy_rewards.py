"""Small rewards used by the engine tests and benchmarks. Importable by spawned workers
(pytest puts tests/ on sys.path, and spawn passes sys.path to its children)."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from verifiers.base import RewardConfig, RowReward
from verifiers.math.reward import MathAccuracy
from verifiers.math.tail import TailKernel
from verifiers.shaping.language import LanguageConsistency
from verifiers.types import Status, Verdict


@dataclass(frozen=True, kw_only=True)
class ToyConfig(RewardConfig):
    pass


class Toy(RowReward[ToyConfig]):
    """Reward 1.0 when the text equals the ``target`` column. Special texts misbehave:
    ``spin`` loops forever, ``sleep:S`` sleeps S seconds, ``crash`` kills its process,
    ``pid`` answers with the worker's process id in ``extracted``."""

    name = "toy"
    config_class = ToyConfig
    columns = ("target",)

    def grade(self, text: str, row: Mapping[str, Any]) -> Verdict:
        if text == "spin":
            while True:
                pass
        if text.startswith("sleep:"):
            time.sleep(float(text.split(":", 1)[1]))
        if text == "crash":
            os._exit(13)
        if text == "pid":
            return Verdict(self.config.low, Status.INCORRECT, extracted=str(os.getpid()))
        ok = text == str(row["target"])
        return Verdict(self.config.high if ok else self.config.low, Status.CORRECT if ok else Status.INCORRECT)



class SlowTail(TailKernel):
    """The real symbolic tail, except that comparing an answer with a ``\\sum`` takes 30 s."""

    def __call__(self, item: tuple[Any, ...]) -> Any:
        if item[0] == "compare" and "\\sum" in item[1]:
            time.sleep(30)
        return super().__call__(item)

    def __reduce__(self) -> tuple[Any, ...]:
        return (SlowTail, ())


class SlowMath(MathAccuracy):
    """The real math reward, except that on a backend, an answer with a ``\\sum`` (which only
    the symbolic tail reads) takes 30 s there."""

    def tail_kernel(self) -> Any:
        return SlowTail()


class SlowLanguage(LanguageConsistency):
    """The real language kernel, except that a completion containing ``SLOW`` takes 30 s."""

    def grade(self, text: str, row: Mapping[str, Any]) -> Verdict:
        if "SLOW" in text:
            time.sleep(30)
        return super().grade(text, row)


class Broken(Toy):
    """A reward with a bug: ``boom`` raises (a bug is reported, never a reward)."""

    def grade(self, text: str, row: Mapping[str, Any]) -> Verdict:
        if text == "boom":
            raise ZeroDivisionError("kernel bug")
        return super().grade(text, row)
