"""The batch engine: backends that apply a plain picklable function to a list of items.

It knows nothing of rewards (:mod:`verifiers.base` sends it work), so it imports nothing from
the rest of the package but its errors.
"""

from verifiers.engine.backends import Backend, Crashed, ProcessPool, Serial, TimedOut

__all__ = ["Backend", "Crashed", "ProcessPool", "Serial", "TimedOut"]
