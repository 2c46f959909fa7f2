"""The docs/ tree builds as a site (mkdocs.yml) with warnings as errors: a broken link, an unknown
anchor, a page missing from the nav or a stale API reference fails the build, and so this test.

Needs the `docs` extra (`pip install -e '.[docs]'`): skipped without it, except under CI, which
installs it, where a missing extra is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from optional import require

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 600  # a cold build takes seconds; a loaded CI machine must not fail it


def _build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    require("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python", install="pip install -e '.[docs]'")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # mkdocs-material's banner, not a build warning
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=root, capture_output=True, text=True, timeout=TIMEOUT, env=env,
    )


def test_docs_site_builds_with_warnings_as_errors(tmp_path):
    site = tmp_path / "site"
    result = _build(ROOT, site)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    assert (site / "index.html").is_file()
    # every page of docs/ became a page of the site (mkdocs.yml's nav lists them all)
    for page in (ROOT / "docs").rglob("*.md"):
        assert (site / page.relative_to(ROOT / "docs").with_suffix(".html")).is_file(), page
    # the API reference comes from the docstrings
    math = (site / "api" / "math.html").read_text()
    for symbol in ("verifiers.math.reward.MathAccuracy", "verifiers.math.reward.accuracy_reward"):
        assert f'id="{symbol}"' in math, symbol
    # docs/_ext/griffe_docstrings.py: doctests are code blocks (not nested block quotes), Sphinx
    # roles are inline code; and the extension itself is not published
    shaping = (site / "api" / "shaping.html").read_text()
    assert "<blockquote>" not in shaping and ":class:" not in shaping
    assert 'class="gp">&gt;&gt;&gt; </span>' in shaping  # a highlighted doctest prompt
    assert not (site / "_ext").exists()


#: breakage -> (file of the project, a pattern, what replaces it, what the failed build must name);
#: the pattern ``\Z`` appends
BREAKAGES = {
    "broken_link": ("docs/quickstart.md", r"\Z", "\nSee [this](nowhere.md).\n", "nowhere.md"),
    "unknown_anchor": ("docs/cli.md", r"\Z", "\nSee [above](#no-such-heading).\n", "#no-such-heading"),
    "page_not_in_nav": ("docs/orphan.md", r"\Z", "# Orphan\n\nA page nobody added to the nav.\n", "orphan.md"),
    "stale_api_reference": ("docs/api/math.md", r"\Z", "\n::: verifiers.no_such_module\n", "verifiers.no_such_module"),
    # a docstring that documents a parameter the function no longer has
    "stale_docstring_parameter": (
        "src/verifiers/math/reward.py",
        r'(def reference_answer\(.*?""".*?\n)\n',
        r"\1\n    Args:\n        gold: renamed long ago.\n\n",
        "Parameter 'gold' does not appear in the function signature",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_strict_build_fails_on_a_broken_docs_tree(tmp_path, breakage):
    name, pattern, replacement, expected = BREAKAGES[breakage]
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    for tree in ("docs", "src"):
        shutil.copytree(ROOT / tree, tmp_path / tree, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    path = tmp_path / name
    text = path.read_text() if path.exists() else ""
    broken = re.sub(pattern, replacement, text, count=1, flags=re.S)
    assert broken != text, f"{breakage}: {pattern!r} no longer matches {name}"
    path.write_text(broken)
    result = _build(tmp_path, tmp_path / "site")
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"the strict build passed despite {breakage}:\n{output}"
    assert expected in output, output
