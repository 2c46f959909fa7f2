"""Typed exceptions raised by ``verifiers``.

Every class subclasses the builtin that a caller would already catch, so
``except ValueError`` still works, and none derives from ``BaseException``
directly::

    VerifiersError (Exception)                   base of everything below
    ├── ConfigError (VerifiersError, ValueError)        a reward or backend was configured wrongly
    ├── UnknownRewardError (ConfigError, KeyError)      a registry name that does not exist
    ├── InputError (VerifiersError, ValueError)         the caller passed malformed input (not model output)
    ├── InfrastructureError (VerifiersError, RuntimeError)  the machinery failed, not the model or the data
    │   ├── WorkerCrashed                                a worker process died while grading a row
    │   └── SandboxError                                 a sandbox could not be set up or used
    └── BackendUnavailable (VerifiersError, ImportError) an optional extra is not installed

The model's faults (wrong answer, bad format, slow program) are never exceptions: they are
verdicts with the configured low reward. The data's faults (missing column, unparseable
reference) are verdicts with reward ``None``. Only infrastructure faults raise.
"""

from __future__ import annotations

__all__ = [
    "BackendUnavailable",
    "ConfigError",
    "InfrastructureError",
    "InputError",
    "SandboxError",
    "UnknownRewardError",
    "VerifiersError",
    "WorkerCrashed",
]


class VerifiersError(Exception):
    """Base class of every exception raised by ``verifiers``."""


class ConfigError(VerifiersError, ValueError):
    """A reward, combinator or backend was configured with invalid values."""


class UnknownRewardError(ConfigError, KeyError):
    """A reward name that the registry does not know."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class InputError(VerifiersError, ValueError):
    """The caller passed input of the wrong shape (e.g. column lengths that differ)."""


class InfrastructureError(VerifiersError, RuntimeError):
    """The grading machinery failed. Never the model's fault: must not become a 0.0 reward."""


class WorkerCrashed(InfrastructureError):
    """A worker process died (crash, OOM kill, ...) while grading a row."""

    def __init__(self, message: str, *, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


class SandboxError(InfrastructureError):
    """A code-execution sandbox could not be created or used."""


class BackendUnavailable(VerifiersError, ImportError):
    """An optional dependency is missing; the message names the ``pip install`` that fixes it."""


def require(module: str, extra: str, purpose: str) -> object:
    """Import an optional dependency or raise :class:`BackendUnavailable` naming the extra.

    >>> require("json", "none", "testing").__name__
    'json'
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised in tests by a fake module name
        raise BackendUnavailable(
            f"{purpose} needs the optional dependency {module!r}: "
            f"pip install 'reasoning-verifiers[{extra}]'"
        ) from exc
