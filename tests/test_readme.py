"""The README starts with the two commands, and CI runs exactly the README's test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)[:2]


def test_readme_starts_with_install_and_test_commands():
    install, tests = _readme_commands()
    assert "verify score examples/" in install and "pip install" in install
    assert tests.rstrip().endswith("python -m pytest")
    example = re.search(r"verify score (\S+)", install).group(1)
    assert (ROOT / example).is_file()


def test_ci_runs_the_readme_test_command():
    _, tests = _readme_commands()
    test_command = tests.split("&&")[-1].strip()
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines
