"""The tutorial pages run as written: every Python block, in order, in one session; every command parses."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from biasorigins.cli import build_parser
from biasorigins.testing.smollm import SMOLLM2_INSTALL, smollm2_available

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = ("getting-started.md", "writing-a-plugin.md")
PLUGIN_PACKAGE = ROOT / "examples" / "plugin_package"
# writing-a-plugin.md says `pip install ./plugin_package` before its block that calls reset_plugins():
# the runner installs the package's entry point (its metadata, the package itself is on the path) there.
INSTALL_BEFORE = "bo.reset_plugins()"

RUNNER = """
import json, sys, traceback
from pathlib import Path

blocks, site = json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2])
namespace = {"__name__": "__main__"}
for number, block in enumerate(blocks, start=1):
    if INSTALL_BEFORE in block:
        info = site / "biasorigins_hiring_biases-0.1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\\nName: biasorigins-hiring-biases\\nVersion: 0.1.0\\n")
        (info / "entry_points.txt").write_text("[biasorigins]\\nhiring_biases = hiring_biases\\n")
    try:
        exec(compile(block, f"<block {number}>", "exec"), namespace)
    except Exception:
        traceback.print_exc()
        sys.exit(f"block {number} failed:\\n{block}")
"""


def fenced_blocks(page: str, language: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def run_blocks(page: str, tmp_path: Path) -> str:
    blocks_file, site, work = tmp_path / "blocks.json", tmp_path / "site", tmp_path / "work"
    site.mkdir()
    work.mkdir()
    blocks_file.write_text(json.dumps(fenced_blocks(page, "python")))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(PLUGIN_PACKAGE), str(site)]),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "2"}
    runner = f"INSTALL_BEFORE = {INSTALL_BEFORE!r}\n{RUNNER}"
    done = subprocess.run([sys.executable, "-c", runner, str(blocks_file), str(site)], capture_output=True,
                          text=True, cwd=work, env=env, timeout=1200, check=False)
    assert done.returncode == 0, f"docs/{page}:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done.stdout


@pytest.mark.parametrize("page", PAGES)
def test_pages_have_python_blocks_and_no_placeholders(page: str) -> None:
    blocks = fenced_blocks(page, "python")
    assert len(blocks) >= 3
    for block in blocks:
        assert "path/to/" not in block, f"docs/{page}: a Python block needs a path that does not exist:\n{block}"


@pytest.mark.slow
@pytest.mark.skipif(not smollm2_available(), reason=f"the pages use SmolLM2: {SMOLLM2_INSTALL}")
def test_getting_started_runs_as_written(tmp_path: Path) -> None:
    out = run_blocks("getting-started.md", tmp_path)
    assert "Model: SmolLM2-135M-Instruct\nChat format: model" in out
    assert "silhouette 0.106" in out
    assert (tmp_path / "work" / "report.html").is_file() and (tmp_path / "work" / "report_tables").is_dir()


@pytest.mark.slow
@pytest.mark.skipif(not smollm2_available(), reason=f"the pages use SmolLM2: {SMOLLM2_INSTALL}")
def test_writing_a_plugin_runs_as_written(tmp_path: Path) -> None:
    out = run_blocks("writing-a-plugin.md", tmp_path)
    assert "Model: first-option" in out and "Sunk Cost in Hiring" in out


def test_the_runner_reports_a_failing_block(tmp_path: Path, monkeypatch) -> None:
    page = tmp_path / "page.md"
    page.write_text("```python\nx = 1\n```\n\n```python\nprint(y)\n```\n")
    monkeypatch.setattr(sys.modules[__name__], "DOCS", tmp_path)
    with pytest.raises(AssertionError, match=r"block 2 failed"):
        run_blocks("page.md", tmp_path)


@pytest.mark.parametrize("page", PAGES)
def test_every_command_on_the_page_parses(page: str) -> None:
    commands = [line.strip().removeprefix("$ ") for language in ("bash", "console")
                for block in fenced_blocks(page, language) for line in block.splitlines()
                if line.strip().removeprefix("$ ").startswith("biasorigins ")]
    assert commands
    parser = build_parser()
    for command in commands:
        words = shlex.split(command, comments=True)[1:]
        try:
            parser.parse_args(words)
        except SystemExit as error:
            pytest.fail(f"docs/{page}: `{command}` does not parse (exit {error.code})")
