"""The example third-party plugin package (examples/plugin_package) installs with pip, is discovered and runs.

The package is installed the way a user would (pip, through its own pyproject.toml and entry
point), offline, into a temporary target folder put on ``sys.path``; nothing touches the
environment or the source tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from biasorigins import plugins
from biasorigins.suite import BiasSuite
from biasorigins.testing.responders import FirstOptionResponder, TextResponder

PACKAGE = Path(__file__).resolve().parents[1] / "examples" / "plugin_package"
SLUG = "sunk-cost-in-hiring"


def _pip_install(source: Path, target: Path) -> None:
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
        "--disable-pip-version-check", "--target", str(target), str(source),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"pip failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the package's source copy, the folder pip installed it into)."""
    root = tmp_path_factory.mktemp("plugin")
    source = root / "source"  # build from a copy: setuptools writes build files next to the sources
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = root / "site"
    _pip_install(source, target)
    return source, target


@pytest.fixture
def plugin_on_path(installed_copy, monkeypatch: pytest.MonkeyPatch):
    _, target = installed_copy
    monkeypatch.delenv("BIASORIGINS_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("BIASORIGINS_DISABLE_PLUGINS", raising=False)
    monkeypatch.syspath_prepend(str(target))
    plugins.reset_plugins()
    yield target
    for name in [m for m in sys.modules if m == "hiring_biases" or m.startswith("hiring_biases.")]:
        del sys.modules[name]
    plugins.reset_plugins()


def _environment(target: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIASORIGINS_") or k == "BIASORIGINS_CACHE"}
    env["PYTHONPATH"] = os.pathsep.join([str(target), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def test_pip_installs_the_entry_point_and_the_module(installed_copy) -> None:
    _, target = installed_copy
    entry_points = next(target.glob("biasorigins_hiring_biases-0.1.0.dist-info")) / "entry_points.txt"
    assert entry_points.read_text().split() == ["[biasorigins]", "hiring_biases", "=", "hiring_biases"]
    assert (target / "hiring_biases" / "sunk_cost.py").is_file()


def test_the_suite_discovers_the_installed_bias(plugin_on_path) -> None:
    entry = plugins.registered_biases()[SLUG]
    assert entry.plugin == "hiring_biases"
    assert entry.distribution == "biasorigins-hiring-biases 0.1.0"
    assert Path(sys.modules[type(entry.bias).__module__].__file__).is_relative_to(plugin_on_path)
    assert plugins.get_bias("Sunk cost fallacy in hiring") is entry.bias


def test_the_installed_bias_runs_beside_a_builtin(plugin_on_path) -> None:
    suite = BiasSuite(["sunk cost in hiring", "anchoring"], cases=60, seed=0)
    biased = suite.run(TextResponder([suite.bias(SLUG)]), progress=False)
    means = biased.summary.set_index("bias")["mean"]
    assert means[SLUG] > 0.3
    assert not biased.errors
    position_only = suite.run(FirstOptionResponder()).summary.set_index("bias")["mean"]
    assert abs(position_only[SLUG]) < 1e-9  # reversed in exactly half the cases: first option scores 0


def test_environment_switch_leaves_the_plugin_out(plugin_on_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIASORIGINS_DISABLE_PLUGINS", "hiring_biases")
    plugins.reset_plugins()
    assert SLUG not in plugins.registered_biases()


def test_the_command_line_lists_the_plugin(installed_copy) -> None:
    _, target = installed_copy
    done = subprocess.run(
        [sys.executable, "-m", "biasorigins", "list", "--search", "sunk cost"],
        capture_output=True, text=True, timeout=120, env=_environment(target),
    )
    assert done.returncode == 0, done.stderr
    assert SLUG in done.stdout and "hiring_biases" in done.stdout


def test_the_packages_own_tests_pass(installed_copy) -> None:
    # Run outside the source folder, so the tests import the installed package.
    source, target = installed_copy
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(source / "tests")],
        capture_output=True, text=True, timeout=300, env=_environment(target), cwd=source.parent,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "passed" in done.stdout and "failed" not in done.stdout
