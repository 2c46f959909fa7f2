"""`verify report`: a self-contained page, the numbers behind its plots, and a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from test_cli_eval import rows, write
from verifiers.cli import main
from verifiers.evaluation import pass_at_k
from verifiers.report import SCATTER_POINTS, RunStats

from optional import in_ci, require

MPL = "pip install 'reasoning-verifiers[report]'"


def scored(tmp_path, name="scored.jsonl", **score_args):
    src = write(tmp_path / "in.jsonl", rows())
    out = tmp_path / name
    assert main(["score", str(src), "-o", str(out), "-q", "-r", "accuracy", "-r", "format"]) == 0
    return out


def test_run_stats_gathers_what_the_plots_show(tmp_path, capsys):
    path = scored(tmp_path)
    capsys.readouterr()
    stats = RunStats("run")
    for line in path.read_text().splitlines():
        stats.add(json.loads(line))
    assert stats.rows == 12 and stats.part == "accuracy"
    assert stats.statuses["accuracy"] == {"correct": 6, "incorrect": 5, "no_answer": 1}
    assert stats.statuses["format"] == {"bad_format": 12}
    assert stats.prompts == {"p1": [4, 2], "p2": [4, 1], "p3": [4, 3]}
    curve = dict(stats.pass_curve())
    assert list(curve) == [1, 2, 4]
    assert curve[2] == pytest.approx((pass_at_k(4, 2, 2) + pass_at_k(4, 1, 2) + pass_at_k(4, 3, 2)) / 3)
    assert stats.sources["gsm8k"] == [8, 3.0, 8, 3] and stats.sources["math"] == [4, 3.0, 4, 3]
    with pytest.raises(ValueError, match="score the file with verify score first"):
        stats.add({"completion": "x"})


def test_the_scatter_sample_is_bounded_and_reproducible():
    def fill():
        stats = RunStats("r")
        for i in range(SCATTER_POINTS * 3):
            stats._sample(i, float(i % 2))
        return stats.scatter

    first = fill()
    assert len(first) == SCATTER_POINTS and first == fill()
    assert max(x for x, _ in first) > SCATTER_POINTS  # later rows do get in


def report(tmp_path, capsys, *paths):
    out = tmp_path / "report.html"
    code = main(["report", *map(str, paths), "-o", str(out), "--title", "two runs"])
    return code, out.read_text() if out.exists() else "", capsys.readouterr().err


def test_the_page_is_self_contained_and_has_every_section(tmp_path, capsys):
    require("matplotlib", install=MPL)
    a = scored(tmp_path, "a.jsonl")
    b = scored(tmp_path, "b.jsonl")
    code, page, err = report(tmp_path, capsys, a, b)
    assert code == 0, err
    for heading in ("Reward distribution", "Status breakdown", "pass@k over k", "Per source", "Length against reward"):
        assert f"<h2>{heading}</h2>" in page
    assert page.count("<svg") == 4 and "two runs" in page and "a.jsonl" in page and "b.jsonl" in page
    # nothing is fetched: no script, stylesheet, image or frame source, no url(), no @import
    assert not re.search(r"<script|<link|<img|<iframe|src=|url\((?!#)|@import|href=\"http", page, flags=re.I)
    assert "total(none:propagate)[1*accuracy|" in page


def test_bad_rows_are_reported_with_line_numbers(tmp_path, capsys):
    require("matplotlib", install=MPL)
    path = scored(tmp_path)
    lines = path.read_text().splitlines()
    lines.insert(2, "{broken")
    lines.insert(5, json.dumps({"completion": "not scored"}))
    path.write_text("\n".join(lines) + "\n")
    code, page, err = report(tmp_path, capsys, path)
    assert code == 1 and "line 3:" in err and "line 6:" in err and "score the file with verify score first" in err
    assert "<h2>Per source</h2>" in page


def test_without_matplotlib_the_error_names_the_extra(tmp_path, capsys, monkeypatch):
    path = scored(tmp_path)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    code, page, err = report(tmp_path, capsys, path)
    assert code == 2 and page == ""
    assert "pip install 'reasoning-verifiers[report]'" in err


def _browser():
    return next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)


@pytest.mark.skipif(_browser() is None and not in_ci(), reason="needs headless Chromium (apt-get install chromium)")
def test_a_real_browser_draws_the_plots(tmp_path, capsys):
    require("matplotlib", install=MPL)
    browser = _browser()
    assert browser, "CI must install chromium (.ci/run)"
    code, _, _ = report(tmp_path, capsys, scored(tmp_path, "a.jsonl"), scored(tmp_path, "b.jsonl"))
    assert code == 0
    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr",
         "--v=0", f"--screenshot={shot}", "--window-size=1200,2200", (tmp_path / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert shot.exists(), proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    import matplotlib.image

    pixels = matplotlib.image.imread(str(shot))[:, :, :3]
    # not blank: many colours, and a good share of pixels that are not the white background
    colours = {tuple(p) for p in (pixels.reshape(-1, 3)[::97] * 255).astype(int).tolist()}
    assert len(colours) > 50
    assert (pixels.mean(axis=2) < 0.95).mean() > 0.03
