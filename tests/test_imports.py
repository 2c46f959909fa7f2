"""Layering: every module imports on its own (no import cycle held apart by import order), the
engine imports nothing of the rewards, and `import verifiers` stays cheap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import verifiers

SRC = Path(verifiers.__file__).parent
MODULES = sorted(
    ".".join(("verifiers", *p.relative_to(SRC).with_suffix("").parts)).removesuffix(".__init__")
    for p in SRC.rglob("*.py")
    if p.name != "__main__.py"
)


def fresh(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("module", MODULES)
def test_every_module_imports_on_its_own(module):
    fresh(f"import {module}")


def test_the_engine_is_a_leaf():
    loaded = fresh(
        "import sys, verifiers.engine\n"
        "print(' '.join(m for m in sys.modules if m.startswith('verifiers.')))"
    ).split()
    assert sorted(loaded) == ["verifiers._version", "verifiers.engine", "verifiers.engine.backends"]
    pooled = fresh(
        "import sys, verifiers.engine.pool\n"
        "print(' '.join(m for m in sys.modules if m.startswith('verifiers.')))"
    ).split()
    engine = ["verifiers.engine", "verifiers.engine.backends", "verifiers.engine.pool"]
    assert sorted(pooled) == ["verifiers._version", *engine, "verifiers.errors"]


def test_no_function_local_import_of_the_package_in_the_core():
    """A function-local import that breaks an import cycle is a sign that the layering is wrong."""
    for name in ("base.py", "engine/backends.py", "engine/pool.py", "types.py", "errors.py"):
        body = (SRC / name).read_text()
        assert "    from verifiers" not in body and "    import verifiers" not in body, name


def test_importing_accuracy_reward_loads_no_numpy_sympy_or_shaping():
    loaded = set(fresh("import sys\nfrom verifiers import accuracy_reward\nprint(' '.join(sys.modules))").split())
    assert not {"numpy", "sympy", "verifiers.shaping", "latex2sympy2_extended", "multiprocessing"} & loaded


def test_public_names_resolve_lazily():
    out = fresh("import verifiers, sys\nprint('numpy' in sys.modules, verifiers.WeightedSum.__name__)")
    assert out.split() == ["False", "WeightedSum"]
