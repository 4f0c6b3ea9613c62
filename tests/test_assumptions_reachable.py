"""Issue 25, item 1: every assumption of docs/model.md reaches the machinery — drawn run by run in
the baseline's ``uncertain:`` section, or held with its range and reason in the register the board
page lists — and the forms that draw several numbers at once (``scale``, ``joint``) set them as
documented (hand-computed values)."""
from __future__ import annotations

import re
import typing
from pathlib import Path

import numpy as np
import pytest
import yaml
from pydantic import BaseModel

from simlib.levers import registered_levers
from simlib.scenario.assumption_register import drawn_paths, held_fixed, register
from simlib.scenario.schema import ScenarioError, Scenario, load_scenario, scenario_from_dict
from simlib.scenario.uncertain import draw_assumptions
from simlib.scenario.uncertain_checks import matches

ROOT = Path(__file__).resolve().parents[1]
MODEL_MD = ROOT / "docs" / "model.md"
BASELINE = ROOT / "parameters" / "baseline.yaml"
SECTION = "## Every assumption and how it reaches the intervals"


def _types(a) -> list:
    out = [a]
    for x in typing.get_args(a):
        out += _types(x)
    return out


def _fields(model: type, seen: set) -> set[str]:
    if model in seen:
        return set()
    seen.add(model)
    out = set()
    for name, f in model.model_fields.items():
        out.add(name)
        for t in _types(f.annotation):
            if isinstance(t, type) and issubclass(t, BaseModel):
                out |= _fields(t, seen)
    return out


def scenario_fields() -> set[str]:
    """Every field name of the scenario file, the levers' settings included."""
    seen: set = set()
    out = _fields(Scenario, seen)
    for lever in registered_levers().values():
        if isinstance(lever.settings, type) and issubclass(lever.settings, BaseModel):
            out |= _fields(lever.settings, seen)
    return out - {"uncertain", "joint", "path", "label", "source"}


def _blocks(text: str):
    """Paragraphs, list items and table rows (a table row: its first cell, the parameter's)."""
    cur: list[str] = []
    for line in text.splitlines():
        st = line.strip()
        if not st or st.startswith(("|", "- ", "* ", "#")):
            if cur:
                yield " ".join(cur)
                cur = []
            if st.startswith("|"):
                cells = st.split("|")
                if "**assumption" in st.lower() and len(cells) > 2:
                    yield cells[1] + " **assumption**"
            elif st.startswith(("- ", "* ")):
                cur = [st]
            continue
        cur.append(st)
    if cur:
        yield " ".join(cur)


def marked_assumptions(text: str) -> set[str]:
    """The scenario fields named where docs/model.md marks an **assumption** (its own register section left out)."""
    before, _, rest = text.partition(SECTION)
    after = rest.split("\n## ", 1)[1] if "\n## " in rest else ""
    fields = scenario_fields()
    out = set()
    for block in _blocks(before + "\n\n## " + after):
        if "**assumption" in block.lower():
            out |= {i.rsplit(".", 1)[-1] for i in re.findall(r"`([a-z][a-z0-9_.*]*)`", block)} & fields
    return out


def register_rows(text: str) -> dict[str, tuple[str, str, str]]:
    """The section's table: path -> (status, range, why)."""
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = (cells[1], cells[2], cells[3])
    return rows


def test_every_parameter_marked_assumption_has_a_row_in_the_register_section():
    text = MODEL_MD.read_text(encoding="utf-8")
    marked = marked_assumptions(text)
    assert {"decay_per_day", "contact_fatigue_per_contact", "opt_out_rate", "identification_rate",
            "attrition_per_opt_out", "cost_per_hour"} <= marked  # the parser finds them
    named = {p.rsplit(".", 1)[-1] for p in register_rows(text)}
    missing = sorted(marked - named)
    assert not missing, f"docs/model.md marks these as assumptions with no row in {SECTION!r}: {missing}"


def test_every_row_is_in_the_machinery():
    """drawn: the baseline draws it; held: the register holds it with the same range; else a reason."""
    rows = register_rows(MODEL_MD.read_text(encoding="utf-8"))
    sc = load_scenario(BASELINE)
    data, drawn = sc.model_dump(), drawn_paths(sc)
    held = {h.path: h for h in register()}
    for path, (status, rng, why) in rows.items():
        assert why, path
        if status == "drawn":
            found = {p for p, _ in matches(data, path)[0]}
            assert found and found <= drawn or path == "channels.*.jump_per_day", f"{path} is not drawn by the baseline"
        elif status == "held":
            assert path in held and not held[path].drawn_in_baseline, f"{path} is marked held but is not in the register"
            lo, hi = (float(x.replace("−", "-")) for x in rng.split("–"))
            assert (lo, hi) == (held[path].low, held[path].high), path
        else:
            assert status in ("sourced", "decision"), (path, status)
    assert {p for p, h in held.items() if not h.drawn_in_baseline} <= set(rows), \
        "every held register entry has its row in docs/model.md"
    assert {"channels.sms.jump_per_day", "channels.call.jump_per_day"} <= drawn
    # every assumption the baseline draws is in the register, so a scenario that does not draw it says so
    assert {e.path for e in sc.uncertain} == {p for p, h in held.items() if h.drawn_in_baseline}


def test_a_scenario_that_draws_nothing_lists_the_baselines_assumptions_as_not_included():
    from types import SimpleNamespace

    from simlib.report.uncertainty_blocks import held_fixed_paragraph

    sc = load_scenario(ROOT / "parameters" / "factoring_offers.yaml")
    paths = {h.path for h in held_fixed(sc)}
    assert {"behaviour.decay_per_day", "behaviour.floor_per_day", "operations.*.cost_per_hour"} <= paths
    html = held_fixed_paragraph(SimpleNamespace(scenario=sc))
    assert "Not included in the intervals" in html and "parameters/baseline.yaml does" in html


def test_the_baseline_holds_only_what_the_register_explains():
    """What the board lists as not included: register entries this scenario uses, none of them drawn."""
    sc = load_scenario(BASELINE)
    paths = {h.path for h in held_fixed(sc)}
    assert "finance.financial_assistance.identification_rate" in paths
    assert "strategies.*.payment_plan.uptake_elasticity" not in paths  # no plan in baseline.yaml's strategies
    assert not paths & {e.path for e in sc.uncertain}


# --------------------------------------------------------------------------- scale and joint draws
def _small(uncertain: list) -> Scenario:
    d = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    d["simulation"].update(encounters_per_day=2.0, billing_window_days=60, horizon_days=120,
                           measurement_day=60, ar_window_days=30, workers=1, warm_up_days=0)
    d["uncertain"] = uncertain
    return scenario_from_dict(d, "test")


def test_a_scale_entry_multiplies_every_number_and_keeps_their_ratios():
    sc = _small([{"path": "channels.*.opt_out_rate", "scale": True, "label": "x", "source": "y",
                  "distribution": "uniform", "low": 2.0, "high": 2.0}])
    out, drawn = draw_assumptions(sc, 0, 1)
    assert drawn == {"channels.*.opt_out_rate": 2.0}
    assert out.channels["sms"].opt_out_rate == pytest.approx(0.02)     # 1 % × 2
    assert out.channels["email"].opt_out_rate == pytest.approx(0.006)  # 0.3 % × 2
    assert out.channels["call"].opt_out_rate == pytest.approx(0.04)
    assert out.channels["letter"].opt_out_rate == 0.0


def test_a_joint_path_moves_along_the_ridge():
    """decay 0.04 → 0.05: initial 0.085 × (0.05 ÷ 0.04)^1.78 = 0.085 × 1.48765 = 0.126450."""
    sc = _small([{"path": "behaviour.decay_per_day", "label": "x", "source": "y", "distribution": "uniform",
                  "low": 0.05, "high": 0.05, "joint": [{"path": "behaviour.initial_per_day", "power": 1.78}]}])
    out, _ = draw_assumptions(sc, 0, 1)
    assert out.behaviour.decay_per_day == 0.05
    assert out.behaviour.initial_per_day == pytest.approx(0.085 * 1.25 ** 1.78, rel=1e-12)
    assert out.behaviour.initial_per_day == pytest.approx(0.126450, abs=1e-6)


def test_the_baseline_ridge_keeps_the_ratio_of_the_calibration():
    """Every run's (initial, decay) lies on initial = 0.085 (decay ÷ 0.04)^1.78 (seeded draws)."""
    sc = load_scenario(BASELINE)
    for r in range(5):
        out, drawn = draw_assumptions(sc, r, 20261207)
        k = drawn["behaviour.decay_per_day"]
        assert out.behaviour.initial_per_day == pytest.approx(0.085 * (k / 0.04) ** 1.78, rel=1e-12)


def test_a_joint_range_is_checked_at_both_ends():
    """The free-care threshold × 3 would pass the discount threshold's own range but is checked with it."""
    with pytest.raises(ScenarioError) as err:
        _small([{"path": "finance.financial_assistance.free_care_ability_max", "label": "x", "source": "y",
                 "distribution": "uniform", "low": 50, "high": 200}])
    assert "discount_ability_max" in str(err.value) and str(err.value).count("\n") == 0
    sc = _small([{"path": "finance.financial_assistance.free_care_ability_max", "scale": True, "label": "x",
                  "source": "y", "distribution": "uniform", "low": 0.5, "high": 3.0,
                  "joint": [{"path": "finance.financial_assistance.discount_ability_max"}]}])
    assert sc.uncertain[0].joint[0].power == 1.0


def test_a_scale_entry_refuses_a_multiplier_that_breaks_a_number():
    with pytest.raises(ScenarioError) as err:  # the call's 2 % opt-out × 60 > 100 %
        _small([{"path": "channels.*.opt_out_rate", "scale": True, "label": "x", "source": "y",
                 "distribution": "uniform", "low": 0.5, "high": 60}])
    assert "multipliers" in str(err.value) and str(err.value).count("\n") == 0


def test_sampled_shapley_shares_match_the_exact_ones():
    """8 assumptions: the sampled decomposition (2,000 orders) is within 0.01 of the exact one and sums to R²."""
    from simlib.analysis import spread

    rng = np.random.default_rng(11)
    x = rng.normal(size=(60, 8))
    y = x @ np.array([1.0, 0.5, 0.3, 0, 0, 0.2, 0, 0.8]) + rng.normal(size=60)
    r2, exact = spread.shapley_r_squared(x, y)
    yc = y - y.mean()
    r2s, sampled = spread.sampled_shapley_r_squared(x, y, float(yc @ yc))
    assert r2s == pytest.approx(r2, abs=1e-12) and sampled.sum() == pytest.approx(r2, abs=1e-12)
    assert np.abs(sampled - exact).max() < 0.01


def test_the_tornado_moves_a_ridge_and_a_multiplier_as_the_draws_do():
    """A sensitivity setting of the ridge entry moves initial_per_day with decay_per_day; a scale
    entry's setting is a multiplier of every channel's rate (not a value)."""
    from simlib.studies.sensitivity import modified, uncertain_factors

    sc = load_scenario(BASELINE)
    factors = {f.path: f for f in uncertain_factors(sc)}
    ridge, opt_out = factors["behaviour.decay_per_day"], factors["channels.*.opt_out_rate"]
    assert ridge.mode == "set" and opt_out.mode == "scale"
    low = modified(sc, ridge, "low")
    k = ridge.low
    assert low.behaviour.decay_per_day == pytest.approx(k)
    assert low.behaviour.initial_per_day == pytest.approx(0.085 * (k / 0.04) ** 1.78, rel=1e-12)
    assert all(e.path != "behaviour.decay_per_day" for e in low.uncertain)
    high = modified(sc, opt_out, 2.0)
    assert high.channels["sms"].opt_out_rate == pytest.approx(0.02)
    assert high.channels["call"].opt_out_rate == pytest.approx(0.04)


def test_held_ranges_read_in_board_units():
    from simlib.report.uncertainty_blocks import held_range_words

    assert held_range_words("behaviour.floor_per_day", 0, 0.00045) == "0–0.16 a year"  # 0.00045 × 365
    assert held_range_words("channels.*.complaint_rate", 0.00002, 0.02) == "0.002–2 %"
    assert held_range_words("strategies.*.financing.approval_ability_half", 0, 150) == "$0–$150"
    assert held_range_words("strategies.*.payment_plan.cost_per_instalment", 0.3, 2) == "$0.30–$2"


def test_a_section_switched_off_makes_its_assumption_inactive():
    """The baseline without a financial-assistance policy: its thresholds' entry draws nothing."""
    d = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    d["finance"]["financial_assistance"] = None
    sc = scenario_from_dict(d, "test")
    _, drawn = draw_assumptions(sc, 0, 1)
    assert "finance.financial_assistance.free_care_ability_max" not in drawn and "behaviour.decay_per_day" in drawn
