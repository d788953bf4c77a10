"""Plugin discovery: built-ins, a real third-party distribution with an entry point, duplicates."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import biasorigins
from biasorigins import plugins
from biasorigins.errors import PluginError, UnknownBiasError
from biasorigins.suite import BiasSuite
from biasorigins.testing.responders import TextResponder

PLUGIN_MODULE = '''
from collections.abc import Mapping

from biasorigins import Bias, BiasInfo, CaseContent, hookimpl
from biasorigins.stimuli import fill, scenario_slots, seven_point
from biasorigins.metrics import ratio_scale_score
from biasorigins.records import Condition

SCALE = seven_point("Certainly yes", "Yes", "Rather yes", "Unsure", "Rather no", "No", "Certainly no")


class DecoyMeeting(Bias):
    info = BiasInfo(
        slug="{slug}", title="{title}", definition="Test plugin.", citation="none",
        design="contrast", expected_direction="treatment answers lean towards 'no'",
    )

    def generate(self, scenario, rng, index):
        slots = scenario_slots(scenario)
        extra = int(rng.integers(1, 100))
        base = ["you are the {{position}} at {{a_organization}}.", "case number {{n}}."]
        return CaseContent(conditions={{
            "control": Condition(situation=fill(base, **slots, n=extra), question="Go ahead?", scale=SCALE),
            "treatment": Condition(situation=fill([*base, "a rival says no."], **slots, n=extra), question="Go ahead?", scale=SCALE),
        }}, values={{"n": extra}})

    def score(self, case, answers: Mapping[str, int]):
        if set(answers) != {{"control", "treatment"}}:
            return None
        return ratio_scale_score(answers["control"], answers["treatment"], n_c=7, k=-1)

    def biased_option(self, text, options, *, opposite=False):
        rival_says_no = "a rival says no" in text.lower()
        return "No" if rival_says_no != opposite else "Yes"


@hookimpl
def biasorigins_register_biases(register):
    register(DecoyMeeting())
'''


def make_distribution(root: Path, name: str, slug: str, title: str, *, hook: str = "biasorigins_register_biases") -> Path:
    """Write a tiny installed distribution (module + dist-info with an entry point) into ``root``."""
    module = name.replace("-", "_")
    source = PLUGIN_MODULE.format(slug=slug, title=title).replace("biasorigins_register_biases(register)", f"{hook}(register)")
    (root / f"{module}.py").write_text(source)
    info = root / f"{module}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[biasorigins]\n{module} = {module}\n")
    return root


@pytest.fixture
def fresh_plugins():
    plugins.reset_plugins()
    yield
    plugins.reset_plugins()


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_plugins):
    def install(name: str, slug: str, title: str, **kwargs) -> None:
        root = tmp_path / name
        root.mkdir()
        make_distribution(root, name, slug, title, **kwargs)
        monkeypatch.syspath_prepend(str(root))

    return install


def test_builtins_register_through_the_hook(fresh_plugins) -> None:
    registered = plugins.registered_biases()
    assert {"anchoring", "framing-effect", "loss-aversion"} <= set(registered)
    assert all(entry.plugin == plugins.BUILTIN_PLUGIN for entry in registered.values())
    assert [info.slug for info in biasorigins.list_biases()] == sorted(registered)


def test_third_party_distribution_is_discovered_and_runs(installed) -> None:
    installed("biasorigins-meeting", "meeting-pressure", "Meeting Pressure")
    entry = plugins.registered_biases()["meeting-pressure"]
    assert entry.plugin == "biasorigins_meeting"
    assert entry.distribution == "biasorigins-meeting 0.1.0"
    suite = BiasSuite(["meeting pressure", "anchoring"], cases=40)
    result = suite.run(TextResponder([suite.bias("meeting-pressure")]))
    assert result.summary.set_index("bias").loc["meeting-pressure", "mean"] > 0.3


def test_duplicate_names_fail_naming_both_sources(installed) -> None:
    installed("anchoring-clone", "anchoring", "Anchoring Again")
    with pytest.raises(PluginError) as info:
        plugins.registered_biases()
    message = str(info.value)
    assert "'anchoring' is registered twice" in message
    assert "biasorigins.biases" in message and "anchoring_clone" in message and "anchoring-clone 0.1.0" in message


def test_environment_can_restrict_entry_points(installed, monkeypatch: pytest.MonkeyPatch) -> None:
    installed("biasorigins-meeting", "meeting-pressure", "Meeting Pressure")
    monkeypatch.setenv("BIASORIGINS_LOAD_PLUGINS", "")
    assert "meeting-pressure" not in plugins.registered_biases()
    plugins.reset_plugins()
    monkeypatch.delenv("BIASORIGINS_LOAD_PLUGINS")
    monkeypatch.setenv("BIASORIGINS_DISABLE_PLUGINS", "biasorigins_meeting")
    assert "meeting-pressure" not in plugins.registered_biases()


def test_misspelt_hook_is_reported(installed) -> None:
    installed("typo-plugin", "typo-bias", "Typo Bias", hook="biasorigins_register_bias")
    with pytest.raises(PluginError, match="typo_plugin.*does not define"):
        plugins.registered_biases()


def test_broken_plugin_import_warns_and_the_rest_loads(tmp_path: Path, monkeypatch, fresh_plugins, caplog) -> None:
    root = tmp_path / "broken"
    root.mkdir()
    make_distribution(root, "broken-plugin", "broken", "Broken")
    (root / "broken_plugin.py").write_text("raise ImportError('missing dependency xyz')\n")
    monkeypatch.syspath_prepend(str(root))
    with caplog.at_level(logging.WARNING, logger="biasorigins.plugins"):
        registered = plugins.registered_biases()
    assert "anchoring" in registered
    assert "could not load bias plugin 'broken_plugin'" in caplog.text and "missing dependency xyz" in caplog.text


def test_inline_bias_objects_need_no_packaging(tmp_path: Path) -> None:
    namespace: dict = {}
    exec(PLUGIN_MODULE.format(slug="inline-test", title="Inline Test"), namespace)  # noqa: S102 - our own test code
    bias = namespace["DecoyMeeting"]()
    suite = BiasSuite([bias, "framing-effect"], cases=10)
    assert suite.bias_slugs == ["inline-test", "framing-effect"]
    assert len(suite.cases()) == 20


def test_lookup_is_case_and_spacing_insensitive_with_suggestions() -> None:
    for name in ("Loss Aversion", "loss-aversion", "LOSSAVERSION", "loss_aversion"):
        assert biasorigins.get_bias(name).info.slug == "loss-aversion"
    with pytest.raises(UnknownBiasError, match="Did you mean 'anchoring'"):
        biasorigins.get_bias("anchorin")


def test_importing_the_package_has_no_side_effects() -> None:
    import subprocess
    import sys

    code = (
        "import sys, biasorigins; "
        "assert 'torch' not in sys.modules and 'pluggy' not in sys.modules, sorted(sys.modules); "
        "print(len(biasorigins.__all__))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) > 10


def test_public_names_resolve() -> None:
    assert biasorigins.__all__ == sorted(biasorigins.__all__)
    for name in biasorigins.__all__:
        assert getattr(biasorigins, name) is not None
    with pytest.raises(AttributeError):
        biasorigins.not_a_name  # noqa: B018
