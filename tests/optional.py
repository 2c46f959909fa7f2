"""Optional dependencies in tests: skipped with the `pip install` that fixes it, except under CI,
which installs every extra the tests need, so there a broken import fails instead of skipping."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require(*modules: str, install: str) -> list[ModuleType]:
    """Import ``modules``, or skip naming ``install`` (fail under CI)."""
    try:
        return [importlib.import_module(name) for name in modules]
    except ImportError as exc:
        if in_ci():
            pytest.fail(f"CI must install what these tests need ({install}): {exc}")
        pytest.skip(f"needs: {install} ({exc})")
