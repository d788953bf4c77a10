"""Progress bars per bias and model (can be switched off); logging, never print, in the engine."""

from __future__ import annotations

import ast
from pathlib import Path

import biasorigins
from biasorigins.suite import BiasSuite
from biasorigins.testing.responders import FirstOptionResponder, RandomResponder

ENGINE_MODULES = ["engine.py", "store.py", "exchange.py", "suite.py", "models/hf.py", "models/likelihood.py",
                  "models/batching.py", "models/generation.py", "models/callable.py"]


def test_progress_bar_names_the_model_and_each_bias(capsys):
    suite = BiasSuite(["anchoring", "framing-effect"], cases=2, seed=0)
    suite.run(RandomResponder(0), model="my-model", progress=True)
    err = capsys.readouterr().err
    assert "my-model: anchoring" in err and "my-model: framing-effect" in err
    suite.run_many([RandomResponder(0), FirstOptionResponder()], progress=True)
    assert "2 models: anchoring" in capsys.readouterr().err


def test_progress_can_be_switched_off(capsys):
    BiasSuite(["anchoring"], cases=2, seed=0).run(RandomResponder(0), progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_engine_modules_never_print():
    root = Path(biasorigins.__file__).parent
    for name in ENGINE_MODULES:
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        calls = [node.lineno for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"]
        assert calls == [], f"{name} calls print() on lines {calls}; use logging"
