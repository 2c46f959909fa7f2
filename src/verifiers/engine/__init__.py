"""The batch engine: backends that apply a plain picklable function to a list of items.

It knows nothing of rewards (:mod:`verifiers.base` sends it work), so it imports nothing from
the rest of the package but its errors. :class:`ProcessPool` (and :mod:`multiprocessing`) and
:class:`Ray` (the ``ray`` extra) are loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from verifiers.engine.backends import Backend, Crashed, Serial, TimedOut

if TYPE_CHECKING:
    from verifiers.engine.pool import ProcessPool
    from verifiers.engine.ray_backend import Ray

__all__ = ["Backend", "Crashed", "ProcessPool", "Ray", "Serial", "TimedOut"]


def __getattr__(name: str) -> Any:
    if name == "ProcessPool":
        from verifiers.engine.pool import ProcessPool

        return ProcessPool
    if name == "Ray":
        from verifiers.engine.ray_backend import Ray

        return Ray
    raise AttributeError(f"module 'verifiers.engine' has no attribute {name!r}")
