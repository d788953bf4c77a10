"""The documentation stays true to the code: API reference, bias catalogue, cited tests, links, examples."""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import biasorigins
from biasorigins import plugins
from biasorigins.catalogue import render_catalogue

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
# Pages of the docs/examples work; other pages are checked by their own tests.
CHECKED_PAGES = ("index.md", "getting-started.md", "concepts.md", "writing-a-plugin.md", "api.md", "differences.md")

HEADING = re.compile(r"^### `([A-Za-z_][\w.]*)`", re.MULTILINE)
CALL = re.compile(r"`((?:[A-Za-z_]\w*\.)?[A-Za-z_]\w*)\(([^`]*)\)`")


# ---------------------------------------------------------------- API reference helpers
def api_sections() -> dict[str, str]:
    """Heading name -> the text of its section (up to the next heading of level 2 or 3)."""
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    matches = list(HEADING.finditer(text))
    sections = {}
    for match, following in zip(matches, [*matches[1:], None]):
        end = following.start() if following else len(text)
        body = text[match.end():end]
        body = re.split(r"^## ", body, maxsplit=1, flags=re.MULTILINE)[0]
        assert match.group(1) not in sections, f"docs/api.md documents {match.group(1)} twice"
        sections[match.group(1)] = body
    return sections


def resolve(dotted: str) -> Any:
    """The object a heading names: a top-level name or a path below ``biasorigins``."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, -1, -1):
        module_name = ".".join(["biasorigins", *parts[:split]])
        try:
            obj: Any = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        try:
            for part in parts[split:]:
                obj = getattr(obj, part)
        except AttributeError:
            continue
        return obj
    raise AssertionError(f"docs/api.md documents {dotted!r}, which does not exist")


def signature_block(body: str) -> str | None:
    """The first statement of the section's first python code block (joined over lines)."""
    match = re.search(r"```python\n(.*?)```", body, re.DOTALL)
    if not match:
        return None
    lines, depth, out = match.group(1).splitlines(), 0, []
    for line in lines:
        out.append(line.strip())
        depth += line.count("(") - line.count(")")
        if depth <= 0:
            break
    return " ".join(out)


def documented_parameters(params: str) -> list[tuple[str, str, Any]]:
    """(name, kind, default) of a documented parameter list such as ``a, *, b=1, **kw``."""
    tree = ast.parse(f"def _({params}): pass").body[0]
    args = tree.args  # type: ignore[attr-defined]
    out: list[tuple[str, str, Any]] = []
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for arg, default in zip(positional, defaults):
        out.append((arg.arg, "POSITIONAL_OR_KEYWORD", default))
    if args.vararg:
        out.append((args.vararg.arg, "VAR_POSITIONAL", None))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        out.append((arg.arg, "KEYWORD_ONLY", default))
    if args.kwarg:
        out.append((args.kwarg.arg, "VAR_KEYWORD", None))
    return out


def actual_parameters(obj: Any) -> list[inspect.Parameter]:
    parameters = list(inspect.signature(obj).parameters.values())
    if parameters and parameters[0].name in ("self", "cls"):
        parameters = parameters[1:]
    return parameters


def compare_signature(where: str, obj: Any, params: str) -> list[str]:
    """Differences between a documented parameter list and the real signature."""
    documented = documented_parameters(params)
    actual = actual_parameters(obj)
    problems = []
    if [(n, k) for n, k, _ in documented] != [(p.name, p.kind.name) for p in actual]:
        real = ", ".join(str(p).split(":")[0].split("=")[0] + ("=..." if p.default is not p.empty else "") for p in actual)
        problems.append(f"{where}: documented ({params}) but the code has ({real})")
        return problems
    for (name, _, node), parameter in zip(documented, actual):
        if (node is None) != (parameter.default is inspect.Parameter.empty):
            problems.append(f"{where}: parameter {name!r} default presence differs from the code")
            continue
        if node is None or repr(parameter.default) == "<factory>":
            continue
        try:
            value = ast.literal_eval(node)
        except ValueError:
            continue  # an expression such as SuiteSpec(): only its presence is checked
        if value != parameter.default:
            problems.append(f"{where}: parameter {name!r} documented as {value!r}, the code says {parameter.default!r}")
    return problems


# ---------------------------------------------------------------- API reference
def test_every_public_name_is_documented() -> None:
    sections = api_sections()
    missing = [name for name in biasorigins.__all__ if name not in sections]
    assert not missing, f"add a '### `name`' section to docs/api.md for: {missing}"


def test_every_documented_object_exists_and_its_signature_matches() -> None:
    problems = []
    for dotted, body in api_sections().items():
        obj = resolve(dotted)
        name = dotted.split(".")[-1]
        block = signature_block(body)
        if block is None:
            continue
        constant = re.fullmatch(rf"{name} = (.+)", block)
        if constant:
            if ast.literal_eval(constant.group(1)) != obj:
                problems.append(f"{dotted}: documented as {constant.group(1)}, the code has {obj!r}")
            continue
        call = re.match(rf"{name}\((.*)\)(?:\s*->.*)?$", block)
        if call:
            problems += compare_signature(dotted, obj, call.group(1))
    assert not problems, "docs/api.md disagrees with the code:\n" + "\n".join(problems)


def test_documented_methods_exist_with_their_signatures() -> None:
    problems = []
    for dotted, body in api_sections().items():
        cls = resolve(dotted)
        if not inspect.isclass(cls):
            continue
        bullets = [line for line in body.splitlines() if line.startswith("- ")]
        for bullet in bullets:
            for target, params in CALL.findall(bullet):
                owner, _, method = target.rpartition(".")
                if owner and owner != cls.__name__:
                    continue
                if not hasattr(cls, method):
                    problems.append(f"{dotted}: documents {method}(), which {cls.__name__} does not have")
                    continue
                member = inspect.getattr_static(cls, method)
                if isinstance(member, property):
                    problems.append(f"{dotted}: documents {method}() as a method; it is a property")
                    continue
                problems += compare_signature(f"{dotted}.{method}", getattr(cls, method), params)
    assert not problems, "docs/api.md disagrees with the code:\n" + "\n".join(problems)


# ---------------------------------------------------------------- the bias catalogue
def test_bias_catalogue_page_is_generated_from_the_builtin_plugins() -> None:
    builtin = [entry.bias for entry in plugins.registered_biases().values() if entry.plugin == plugins.BUILTIN_PLUGIN]
    page = (DOCS / "biases.md").read_text(encoding="utf-8")
    assert page == render_catalogue(builtin), (
        "docs/biases.md is out of date; regenerate it with "
        "`BIASORIGINS_LOAD_PLUGINS= python -m biasorigins list --markdown > docs/biases.md`"
    )


# ---------------------------------------------------------------- cross-references
def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name.startswith("test")}


def test_tests_cited_in_the_differences_page_exist() -> None:
    text = (DOCS / "differences.md").read_text(encoding="utf-8")
    current: str | None = None
    cited, missing = 0, []
    for match in re.finditer(r"(?:tests/)?(test_\w+\.py)?::(test_\w+)", text):
        current = match.group(1) or current
        assert current, f"'::{match.group(2)}' in docs/differences.md follows no test file"
        path = ROOT / "tests" / current
        if not path.is_file() or match.group(2) not in _test_functions(path):
            missing.append(f"tests/{current}::{match.group(2)}")
        cited += 1
    assert cited > 40
    assert not missing, f"docs/differences.md cites tests that do not exist: {missing}"


def _anchor(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@pytest.mark.parametrize("page", CHECKED_PAGES)
def test_relative_links_resolve(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+://", target):
            continue
        path_part, _, anchor = target.partition("#")
        path = (DOCS / path_part).resolve() if path_part else DOCS / page
        if not path.exists():
            broken.append(target)
        elif anchor and path.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
            if anchor not in {_anchor(h) for h in headings}:
                broken.append(target)
    assert not broken, f"docs/{page} has broken links: {broken}"


# ---------------------------------------------------------------- examples
def _run_example(name: str, tmp_path: Path, *args: str) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env=env)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert not list(tmp_path.iterdir()), f"{name} left files in the working directory"
    return done.stdout


def test_example_write_a_bias(tmp_path: Path) -> None:
    out = _run_example("02_write_a_bias.py", tmp_path)
    assert "passes 11 conformance checks" in out and "Ambiguity Aversion" in out


def test_example_crosstuning_on_a_simulated_study(tmp_path: Path) -> None:
    out = _run_example("04_crosstuning_from_scores.py", tmp_path, str(tmp_path / "no-such-table.csv"))
    assert "simulated" in out and "randomness:" in out and "attribution:" in out


@pytest.mark.slow
def test_example_crosstuning_on_the_papers_table(tmp_path: Path, reference_dir: Path) -> None:
    out = _run_example("04_crosstuning_from_scores.py", tmp_path, str(reference_dir / "cross_tuning_full_scores.csv"))
    assert "the paper's published scores" in out and "silhouette 0.106" in out and "report written" in out


@pytest.mark.slow
def test_example_bias_suite(tmp_path: Path) -> None:
    out = _run_example("01_bias_suite.py", tmp_path)
    assert "Model: tiny-llama" in out and "rescored from the table: same summary" in out


@pytest.mark.slow
def test_example_run_a_study(tmp_path: Path) -> None:
    out = _run_example("05_run_a_study.py", tmp_path)
    assert "Llama-Flan-Seed-0" in out and "attribution:" in out and "{'stale': 8}" in out
    assert out.count(" done     done") == 8


@pytest.mark.slow
def test_example_finetune(tmp_path: Path) -> None:
    out = _run_example("03_finetune.py", tmp_path)
    assert out.count(" steps, loss ") == 4 and "Tiny-Tulu-Seed-1" in out


@pytest.mark.slow
def test_example_notebook_shows_html_and_draws_the_forest_plot(tmp_path: Path, smollm2_dir: Path,
                                                                tmp_path_factory: pytest.TempPathFactory) -> None:
    out = tmp_path_factory.mktemp("notebook-out")
    text = _run_example("06_notebook.py", tmp_path, str(out))
    assert "<SuiteResult 'SmolLM2': 3 biases, 18 cases" in text
    assert sorted(p.name for p in out.iterdir()) == ["forest.png", "forest_one_model.png", "result.html", "suite.html"]
    page = (out / "result.html").read_text(encoding="utf-8")
    assert "Model: SmolLM2" in page and "mode: likelihood" in page and page.count("<tr>") == 4
    assert (out / "forest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
