"""The batch engine: backends (serial, process pool) and the batch runner behind every reward."""

from verifiers.engine.backends import Backend, Crashed, ProcessPool, Serial, TimedOut
from verifiers.engine.batch import run_batch

__all__ = ["Backend", "Crashed", "ProcessPool", "Serial", "TimedOut", "run_batch"]
