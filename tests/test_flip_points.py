"""Flip points: a scenario with a crossing computable from the run's own counts is found within
the search's tolerance; "does not flip in the range" is an answer; the words; saving and the
summary sentence."""
from __future__ import annotations

import math
import sys
import types
from types import SimpleNamespace

import pandas as pd
import pytest

from simlib.core.ranges import Range
from simlib.studies import flip_points as fp
from simlib.studies import sensitivity as sens
from simlib.run.experiment import run_experiment
from simlib.scenario.schema import scenario_from_dict
from simlib.report import sensitivity_blocks as blocks

from conftest import tiny

SMS = "channels.sms.cost"
ACCOUNTS = 200  # conftest.tiny: 200 self-pay accounts of $500 each


@pytest.fixture(scope="module")
def sms_run():
    """Two strategies that differ by one lever (three SMS reminders) at a cost of capital of 0: the
    NPV gain of the SMS strategy falls by exactly (SMS sent × the rise in the price of an SMS), so
    its flip point is the SMS cost c0 + gain ÷ SMS sent — from the run's own counts."""
    strategies = {
        "email_only": {"statement_channel": "email", "write_off": {"after_days": 10000}, "baseline": True},
        "with_sms": {"statement_channel": "email", "write_off": {"after_days": 10000},
                     "ladder": [{"day": 10, "channel": "sms"}, {"day": 25, "channel": "sms"},
                                {"day": 45, "channel": "sms"}]}}
    scen = scenario_from_dict(tiny(strategies, finance={"cost_of_capital_annual": 0.0},
                                   simulation={"seed": 20261123}), "sms")
    res = run_experiment(scen, replications=3, progress=False)
    return scen, res


def _expected_flip(scen, metrics) -> float:
    gain = sens.gain(metrics, "with_sms", "email_only", "npv_net_cash")
    per_account = metrics[metrics["metric"] == "contacts_per_account"].pivot(
        index="replication", columns="strategy", values="value")
    assert (per_account["email_only"] == 0).all()  # the statement is not a reminder: every contact is an SMS
    sms_sent = float(((per_account["with_sms"] - per_account["email_only"]) * ACCOUNTS).mean())
    return scen.channels["sms"].cost + gain / sms_sent


def test_known_flip_point_is_found_within_tolerance(sms_run):
    scen, res = sms_run
    expected = _expected_flip(scen, res.metrics)
    assert 5.0 < expected < 95.0  # inside the range searched
    curve = sens.PairedGain(scen, "with_sms", "email_only", metric="npv_net_cash", replications=3,
                            main=res.metrics)
    cost = Range("SMS cost per message", SMS, 0.0, 100.0, "set", base=scen.channels["sms"].cost)
    point = fp.flip_point(curve, cost, tolerance_share=0.001)
    assert point.flip_below is None and point.gain_high < 0 < point.gain_low
    # the tolerance of the search (0.1 % of $100), plus half a cent: a contact's cost is booked in cents
    assert point.tolerance == pytest.approx(0.1)
    assert abs(point.flip_above - expected) <= point.tolerance + 0.005
    assert point.evaluations <= 20
    assert point.row()["words"] == f"stays best unless SMS cost per message is above ${point.flip_above:.0f}"
    # coarser default tolerance (1 % of the range), same answer within it
    coarse = fp.flip_point(curve, cost)
    assert abs(coarse.flip_above - expected) <= coarse.tolerance + 0.005


def test_does_not_flip_in_the_range(sms_run):
    scen, res = sms_run
    expected = _expected_flip(scen, res.metrics)
    curve = sens.PairedGain(scen, "with_sms", "email_only", metric="npv_net_cash", replications=2,
                            main=res.metrics)
    cheap = Range("SMS cost per message", SMS, 0.0, expected / 2, "set", base=scen.channels["sms"].cost)
    point = fp.flip_point(curve, cheap)
    assert point.flip_below is None and point.flip_above is None
    assert point.gain_low > 0 and point.gain_high > 0
    assert point.evaluations == 2  # the two ends; no search
    row = point.row()
    assert row["words"] == f"does not change within $0 to ${expected / 2:.0f}"


class _Curve:
    """A gain curve known in closed form (a stand-in for PairedGain)."""

    def __init__(self, fn, base_gain, scenario=None):
        self.fn, self.base, self.scenario, self.evaluations = fn, base_gain, scenario, 0
        self.strategy, self.against, self.metric, self.replications, self.seed = "a", "b", "npv_net_cash", 2, 1

    def at(self, factor, x):
        self.evaluations += 1
        return self.fn(x)


def test_search_on_a_known_curve_both_sides_and_words():
    compliance = Range("Deposit compliance", "strategies.*.deposit.compliance_rate", 0.1, 0.99,
                              "set", upper=1.0, base=0.6)
    curve = _Curve(lambda x: 1e5 * (x - 0.22) * (0.95 - x), 1e5 * 0.38 * 0.35)
    point = fp.flip_point(curve, compliance)
    assert point.flip_below == pytest.approx(0.22, abs=point.tolerance)
    assert point.flip_above == pytest.approx(0.95, abs=point.tolerance)
    assert point.row()["words"] == "stays best unless deposit compliance is below 22 % or above 95 %"
    # without a known base setting the whole range is one bracket
    unknown = Range("A rate", "x.y_rate", 0.1, 0.5, "set")
    one = fp.flip_point(_Curve(lambda x: 1e4 * (0.3 - x), 1.0), unknown)
    assert one.flip_above == pytest.approx(0.3, abs=one.tolerance) and one.flip_below is None
    behind = fp.flip_point(_Curve(lambda x: -1.0, 1.0), unknown)
    assert behind.row()["words"] == "is behind the runner-up within 10–50 %"


def test_scale_mode_words_in_board_units():
    row = {"label": "Calls that reach the patient", "mode": "scale", "unit": "share", "scenario_value": 0.35,
           "low": 0.5, "high": 1.5, "tolerance": 0.01, "gain_base": 1.0, "flip_below": 0.6286, "flip_above": None}
    assert fp.flip_words(row) == "stays best unless calls that reach the patient is below 22 %"
    several = {**row, "label": "Reminder effect", "unit": "number", "scenario_value": None}
    assert fp.flip_words(several) == "stays best unless reminder effect is below 63 % of the scenario's values"
    assert fp.flip_words({**several, "flip_below": None}) == "does not change within 50–150 % of the scenario's values"
    money = {**row, "label": "Median ability to pay", "unit": "usd", "scenario_value": 97.0}
    assert fp.flip_words(money) == "stays best unless median ability to pay is below $61"
    assert fp.unit_of("finance.cost_of_capital_annual") == "share" and fp.unit_of("a.after_days") == "days"
    # a flip just beside the scenario's value gets the digits that tell them apart
    close = {**row, "label": "Plan take-up", "base_setting": 1.0, "flip_below": None, "flip_above": 1.0085}
    assert fp.flip_words(close) == "stays best unless plan take-up is above 35.3 %"


def test_flip_points_are_saved_shown_and_said(tmp_path):
    """The pipeline's step: sweep and flip points of the deciding assumptions, saved beside the
    results; the page's table and the summary's sentence read them."""
    from pathlib import Path

    from test_sensitivity import small_baseline

    from simlib.scenario.schema import load_scenario

    scen = load_scenario(small_baseline(tmp_path / "t.yaml", sensitivity={"replications": 2, "flip_points": 2}))
    res = run_experiment(scen, replications=3, progress=False)
    table, flips = blocks.save_sensitivity(res, tmp_path)
    assert (tmp_path / blocks.SENSITIVITY_FILE).is_file() and (tmp_path / blocks.FLIPS_FILE).is_file()
    strategy, against = res.decision.strategy, res.decision.runner_up
    assert table.attrs["strategy"] == strategy and table.attrs["baseline"] == against
    uncertain = [u.path for u in getattr(scen, "uncertain", None) or []]  # each gets a flip point too
    others = [p for p in table["path"] if p not in uncertain]  # swept factors not already uncertain
    assert list(flips["path"][:2]) == others[:2] and len(flips) == 2 + len(uncertain)  # largest swings
    assert list(flips["source"]) == ["factor"] * 2 + ["uncertain"] * len(uncertain)
    assert list(flips["path"][2:]) == uncertain
    assert (table["base_value"] == sens.gain(res.metrics, strategy, against)).all()
    loaded, loaded_flips = blocks.load_sensitivity(tmp_path)
    pd.testing.assert_frame_equal(loaded, table, check_dtype=False)
    pd.testing.assert_frame_equal(loaded_flips.drop(columns=["flip_below", "flip_above", "scenario_value"]),
                                  flips.drop(columns=["flip_below", "flip_above", "scenario_value"]), check_dtype=False)
    assert loaded.attrs["strategy"] == strategy and loaded_flips.attrs["replications"] == 2
    sentence = blocks.flip_sentence(tmp_path)
    label = table.attrs["strategy_label"]
    assert sentence.startswith((f"“{label}” stays ahead of the runner-up", f"The ranking of “{label}”"))
    html = blocks.flip_points_section(loaded_flips, res).data
    assert "When the ranking flips" in html and "Brent" in html and "_" not in html.split("<tbody>")[1][:200]
    assert blocks.flip_sentence(Path(tmp_path) / "missing") == ""
    assert blocks.load_sensitivity(Path(tmp_path) / "missing") == (None, None)  # never computed on the page


def test_uncertain_assumptions_are_held_at_a_setting(monkeypatch):
    """An assumption drawn in each run (section ``uncertain:``) is held at the searched value: its
    entry is dropped (draws are keyed by path: the others do not move) and a scale setting applies
    to its central value; its range is its 1 %–99 % quantiles around its central value."""
    fake = types.ModuleType("simlib.scenario.uncertain")
    fake.central_value = lambda e: e.centre
    fake.quantile = lambda e, q: e.centre + (q - 0.5)
    monkeypatch.setitem(sys.modules, "simlib.scenario.uncertain", fake)
    entry = SimpleNamespace(path="behaviour.initial_per_day", label="Propensity", centre=0.05)
    scen = SimpleNamespace(uncertain=[entry, SimpleNamespace(path="other.x", label="o", centre=1.0)])
    data = {"behaviour": {"initial_per_day": 0.04},
            "uncertain": [{"path": "behaviour.initial_per_day", "label": "Propensity", "source": "guess",
                           "distribution": "beta", "a": 2, "b": 3},
                          {"path": "other.x", "distribution": "normal", "mean": 1, "sd": 0.1}]}
    sens._pin_uncertain(scen, data, Range("Propensity", "behaviour.initial_per_day", 0.5, 1.5), 2.0)
    assert data["behaviour"]["initial_per_day"] == pytest.approx(0.1)  # ×2 of the central value
    assert [e["path"] for e in data["uncertain"]] == ["other.x"]
    wide = {"channels": {"sms": {"jump_per_day": 0.01}},
            "uncertain": [{"path": "channels.sms.jump_per_day"}, {"path": "strategies.*.deposit.compliance_rate"}]}
    sens._pin_uncertain(scen, wide, Range("Reminders", "channels.*.jump_per_day", 0.5, 1.5), 2.0)
    assert wide["uncertain"] == [{"path": "strategies.*.deposit.compliance_rate"}]  # * overlaps sms
    ranges = fp.uncertain_ranges(scen)
    assert [(r.path, r.source, r.mode) for r in ranges] == [("behaviour.initial_per_day", "uncertain", "set"),
                                                            ("other.x", "uncertain", "set")]
    assert (ranges[0].low, ranges[0].base, ranges[0].high) == pytest.approx((0.05 - 0.49, 0.05, 0.05 + 0.49))
    # in the tornado, an uncertain assumption's range replaces the default factor of its path
    scen.sensitivity, scen.strategies = None, {}
    factors = {f.path: f for f in sens.scenario_factors(scen)}
    assert factors["behaviour.initial_per_day"] == Range("Propensity", "behaviour.initial_per_day",
                                                               pytest.approx(-0.44), pytest.approx(0.54), "set")
    assert "channels.*.jump_per_day" in factors and "other.x" in factors


def test_an_uncertain_range_is_one_bracket_unless_behind_at_both_ends():
    """No run has an uncertain assumption at its centre (the main run draws it): the ends decide,
    and the centre is run only when both ends are behind."""
    drawn = Range("Deposit compliance", "strategies.*.deposit.compliance_rate", 0.2, 1.0, "set",
                         None, "uncertain", 0.6)
    rising = _Curve(lambda x: 1e5 * (x - 0.3), 3e4)
    point = fp.flip_point(rising, drawn)
    assert point.flip_below == pytest.approx(0.3, abs=point.tolerance) and point.flip_above is None
    assert rising.evaluations < 12 and math.isnan(point.gain_base)
    hump = _Curve(lambda x: 1e5 * (x - 0.3) * (0.9 - x), 3e4)
    both = fp.flip_point(hump, drawn)
    assert both.gain_base == pytest.approx(1e5 * 0.3 * 0.3)  # the centre was run
    assert both.flip_below == pytest.approx(0.3, abs=both.tolerance)
    assert both.flip_above == pytest.approx(0.9, abs=both.tolerance)


def test_summary_sentence_names_the_flips_and_what_holds(tmp_path):
    attrs = {"strategy": "fin", "baseline": "plans", "strategy_label": "Financing partner",
             "baseline_label": "Payment plans", "metric": "npv_net_cash", "replications": 2, "seed": 1}
    base = {"source": "factor", "mode": "scale", "low": 0.5, "high": 1.5, "base_setting": 1.0, "unit": "share",
            "gain_low": -1.0, "gain_base": 1.0, "gain_high": 2.0, "tolerance": 0.01, "evaluations": 3}
    rows = [{**base, "path": "strategies.*.financing.uptake_rate", "label": "Financing take-up",
             "scenario_value": 0.15, "flip_below": 0.9928, "flip_above": None},
            {**base, "path": "behaviour.initial_per_day", "label": "Propensity to pay", "unit": "number",
             "scenario_value": 0.04, "flip_below": None, "flip_above": None, "gain_low": 0.5}]
    flips = pd.DataFrame([{**r, "words": fp.flip_words(r)} for r in rows], columns=fp.COLUMNS)
    for name, t in ((blocks.FLIPS_FILE, flips), (blocks.SENSITIVITY_FILE, pd.DataFrame({"parameter": ["x"]}))):
        t.assign(**attrs).to_csv(tmp_path / name, index=False)
    assert blocks.flip_sentence(tmp_path) == (
        "“Financing partner” stays ahead of the runner-up “Payment plans” unless financing take-up is below "
        "14.9 % (each on its own, the other assumptions as in the scenario); the ranking does not change "
        "within the ranges tested for propensity to pay.")
