"""Tests of the managerial scenario bank (biasorigins.scenarios and data/scenarios.jsonl)."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest
from pydantic import ValidationError

from biasorigins import BiasSuite
from biasorigins.errors import ConfigError, DataFormatError
from biasorigins.scenarios import (
    PHRASE_FIELDS,
    Scenario,
    _read_scenario_file,
    coverage_order,
    derive_scenario_id,
    get_scenario,
    load_scenarios,
    with_article,
)

EXPECTED_KEYS = ["id", *PHRASE_FIELDS]


def _raw_lines() -> list[str]:
    text = resources.files("biasorigins").joinpath("data").joinpath("scenarios.jsonl").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


def _record(**changes: str) -> dict[str, str]:
    record = {
        "id": "utilities.station-manager",
        "industry": "utilities",
        "position": "station manager",
        "organization": "hydropower operator",
        "decision": "whether to refurbish the oldest turbine",
        "project": "turbine refurbishment",
        "product": "renewable electricity",
        "metric": "plant availability",
        "team": "station team",
    }
    record.update(changes)
    return record


def _write_jsonl(path: Path, records: list[object]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


# --- the shipped bank -------------------------------------------------------


def test_bank_has_25_industries_with_8_positions_each():
    scenarios = load_scenarios()
    per_industry = Counter(scenario.industry for scenario in scenarios)
    assert len(scenarios) >= 200
    assert len(per_industry) == 25
    assert set(per_industry.values()) == {8}


def test_ids_are_unique_well_formed_and_derived_from_industry_and_position():
    scenarios = load_scenarios()
    ids = [scenario.id for scenario in scenarios]
    assert len(set(ids)) == len(ids)
    for scenario in scenarios:
        assert re.fullmatch(r"[a-z0-9-]+\.[a-z0-9-]+", scenario.id), scenario.id
        assert scenario.id == derive_scenario_id(scenario.industry, scenario.position)


def test_derive_scenario_id_slugs_both_parts():
    assert derive_scenario_id("food, beverage and tobacco", "export manager") == "food-beverage-and-tobacco.export-manager"
    assert derive_scenario_id("energy", "health, safety and environment manager") == (
        "energy.health-safety-and-environment-manager"
    )


def test_scenarios_are_ordered_by_id():
    ids = [scenario.id for scenario in load_scenarios()]
    assert ids == sorted(ids)


def test_ids_do_not_depend_on_line_order(tmp_path):
    lines = _raw_lines()
    random.Random(7).shuffle(lines)
    shuffled = tmp_path / "shuffled.jsonl"
    shuffled.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _read_scenario_file(shuffled) == load_scenarios()


def test_raw_records_have_the_documented_keys_in_order():
    for line in _raw_lines():
        assert list(json.loads(line)) == EXPECTED_KEYS


@pytest.mark.parametrize("field", PHRASE_FIELDS)
def test_every_field_is_a_clean_lowercase_phrase(field):
    for scenario in load_scenarios():
        value = getattr(scenario, field)
        where = f"{scenario.id}.{field}={value!r}"
        assert value and value == value.strip(), where
        assert value.isascii() and "  " not in value, where
        assert value[0].islower() or value[0].isdigit(), where
        assert value[-1] not in ".,;:!?", where
        assert not re.match(r"(a|an|the) ", value), where


def test_decisions_read_well_after_is_deciding():
    for scenario in load_scenarios():
        assert scenario.decision.split()[0] in {"whether", "how", "which", "what"}, scenario.id


def test_text_is_one_sentence_with_correct_articles():
    for scenario in load_scenarios():
        assert scenario.text.endswith(f"is deciding {scenario.decision}.")
        assert scenario.text[0].isupper()
        assert scenario.text.count(".") == 1 + scenario.decision.count(".")
    hospital = get_scenario("health-care-equipment-and-services.chief-medical-officer")
    assert hospital.text.startswith("A chief medical officer at a university hospital is deciding ")


def test_text_of_a_constructed_scenario():
    scenario = Scenario.model_validate(_record(position="engineering manager", id="utilities.engineering-manager"))
    assert scenario.text == (
        "An engineering manager at a hydropower operator is deciding whether to refurbish the oldest turbine."
    )


def test_load_is_cached():
    assert load_scenarios() is load_scenarios()


def test_scenario_is_frozen():
    scenario = load_scenarios()[0]
    with pytest.raises(ValidationError):
        scenario.position = "intern"


def test_get_scenario_returns_the_matching_scenario():
    scenario = load_scenarios()[5]
    assert get_scenario(scenario.id) is scenario


def test_get_scenario_suggests_close_ids():
    with pytest.raises(ConfigError, match=r"energy\.procurement-manager"):
        get_scenario("energy.procurment-manager")


def test_get_scenario_without_close_match_points_to_load_scenarios():
    with pytest.raises(ConfigError, match="load_scenarios"):
        get_scenario("zzz")


# --- malformed data ---------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_record", "field"),
    [
        ({k: v for k, v in _record().items() if k != "metric"}, "metric"),
        (_record(decision="whether to refurbish the oldest turbine."), "decision"),
        (_record(decision="refurbishing the oldest turbine"), "decision"),
        (_record(organization="a hydropower operator"), "organization"),
        (_record(product="Renewable electricity"), "product"),
        (_record(team="station\u2019s team"), "team"),
        (_record(project=""), "project"),
        ({**_record(), "country": "norway"}, "country"),
        (_record(id="utilities.plant-manager"), "id"),
        (_record(id="Utilities/Station"), "id"),
    ],
)
def test_malformed_record_error_names_file_line_and_field(tmp_path, bad_record, field):
    good = _record(id="utilities.asset-manager", position="asset manager")
    path = _write_jsonl(tmp_path / "bank.jsonl", [good, bad_record])
    with pytest.raises(DataFormatError) as caught:
        _read_scenario_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert "line 2" in message
    assert f"field '{field}'" in message


def test_invalid_json_error_names_file_and_line(tmp_path):
    path = tmp_path / "bank.jsonl"
    path.write_text(json.dumps(_record()) + "\n\n{not json\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"bank\.jsonl, line 3: not valid JSON"):
        _read_scenario_file(path)


def test_non_object_line_is_rejected(tmp_path):
    path = _write_jsonl(tmp_path / "bank.jsonl", [["utilities", "station manager"]])
    with pytest.raises(DataFormatError, match="line 1: expected a JSON object"):
        _read_scenario_file(path)


def test_duplicate_id_error_names_both_lines(tmp_path):
    path = _write_jsonl(tmp_path / "bank.jsonl", [_record(), _record(id="utilities.x", position="x"), _record()])
    with pytest.raises(DataFormatError, match=r"line 3, field 'id': duplicate id .* first used on line 1"):
        _read_scenario_file(path)


def test_empty_file_is_rejected(tmp_path):
    path = tmp_path / "bank.jsonl"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="no scenarios"):
        _read_scenario_file(path)


# --- articles ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("offshore drilling company", "an offshore drilling company"),
        ("procurement manager", "a procurement manager"),
        ("engineering manager", "an engineering manager"),
        ("e-commerce manager", "an e-commerce manager"),
        ("hour-long meeting", "an hour-long meeting"),
        ("hourly wage", "an hourly wage"),
        ("honest broker", "an honest broker"),
        ("heir to the firm", "an heir to the firm"),
        ("hospital network", "a hospital network"),
        ("university hospital", "a university hospital"),
        ("unit manager", "a unit manager"),
        ("utility", "a utility"),
        ("user survey", "a user survey"),
        ("unimportant detail", "an unimportant detail"),
        ("uninsured driver", "an uninsured driver"),
        ("umbrella company", "an umbrella company"),
        ("urban developer", "an urban developer"),
        ("European bank", "a European bank"),
        ("one-stop shop", "a one-stop shop"),
        ("one year delay", "a one year delay"),
        ("onerous contract", "an onerous contract"),
        ("MBA graduate", "an MBA graduate"),
        ("FDA filing", "an FDA filing"),
        ("CEO", "a CEO"),
        ("X-ray clinic", "an X-ray clinic"),
        ("8-hour shift", "an 8-hour shift"),
        ("11-day strike", "an 11-day strike"),
        ("18% rise", "an 18% rise"),
        ("80,000 dollar loss", "an 80,000 dollar loss"),
        ("110-page report", "a 110-page report"),
        ("5% rise", "a 5% rise"),
        ("  insurance broker ", "an insurance broker"),
    ],
)
def test_with_article(phrase, expected):
    assert with_article(phrase) == expected


def test_with_article_rejects_empty_phrase():
    with pytest.raises(ConfigError):
        with_article("   ")


# -- the order in which a suite's cases take the scenarios ---------------------------------
def _best_industry_count(n: int, bank) -> int:
    return min(n, len({s.industry for s in bank}))


@pytest.mark.parametrize("n", [8, 20, 50])
def test_cases_cover_as_many_industries_as_possible(n):
    bank = load_scenarios()
    cases = BiasSuite(["anchoring"], cases=n, seed=3).cases()
    industries = [get_scenario(case.scenario_id).industry for case in cases]
    assert len(set(industries)) == _best_industry_count(n, bank)
    counts = Counter(industries)
    assert max(counts.values()) - min(counts.values()) <= 1  # as even as possible
    assert len({case.scenario_id for case in cases}) == n  # no scenario repeats before the bank is used up
    assert len({s.industry for s in bank[:n]}) < _best_industry_count(n, bank)  # the bank's own order would fail


def test_coverage_order_spreads_positions_and_is_a_permutation():
    bank = load_scenarios()
    order = coverage_order(bank)
    assert sorted(s.id for s in order) == sorted(s.id for s in bank)
    slot = {s.id: i for group in _groups(bank).values() for i, s in enumerate(group)}
    first_round = [slot[s.id] for s in order[:25]]
    assert max(Counter(first_round).values()) <= 4  # 25 cases over 8 position slots, not all the first


def test_coverage_order_of_an_unbalanced_bank():
    bank = load_scenarios()
    uneven = bank[:3] + bank[8:9] + bank[16:20]  # industries with 3, 1 and 4 scenarios
    order = coverage_order(uneven)
    assert sorted(s.id for s in order) == sorted(s.id for s in uneven)
    assert len({s.industry for s in order[:3]}) == 3
    assert coverage_order([]) == ()


def test_case_scenarios_are_prefix_stable_and_recorded():
    short = BiasSuite(["anchoring"], cases=30, seed=0).cases()
    long = BiasSuite(["anchoring"], cases=230, seed=0).cases()
    assert [c.scenario_id for c in short] == [c.scenario_id for c in long[:30]]
    assert [c.index for c in long] == [0] * 200 + [1] * 30  # one pass over the bank per instance index
    assert [c.scenario_id for c in long[200:]] == [c.scenario_id for c in long[:30]]


def _groups(bank):
    groups: dict[str, list] = {}
    for s in bank:
        groups.setdefault(s.industry, []).append(s)
    return groups
