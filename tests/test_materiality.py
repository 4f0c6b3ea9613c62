"""Materiality (simlib.scenario.materiality) and the words that depend on it: the ``decision:`` section and
its one-line errors, verdicts at and around the threshold judged on the number as displayed (a
difference that prints as $0 or below the threshold never reads "better"), and the summary's
runner-up and its paired margin."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from conftest import tiny
from simlib.scenario.materiality import NO_THRESHOLD, Decision, decision_of, is_material, threshold
from simlib.scenario.schema import ScenarioError, load_scenario, scenario_from_dict
from simlib.analysis.numbers import MINUS, diff_text, is_zero_text, shown_number, verdict
from simlib.report.results import recommendation
from simlib.report.summary import executive_summary, headline, recommendation_sentence

DEFAULT = Decision()


# --------------------------------------------------------------------------- the section
def test_defaults_and_the_shipped_baseline():
    assert (DEFAULT.materiality, DEFAULT.materiality_pp) == (25_000.0, 0.5)
    sc = load_scenario("parameters/baseline.yaml")
    assert sc.decision == DEFAULT and decision_of(sc) is sc.decision
    assert list(sc.model_dump())[:4] == ["name", "label", "description", "simulation"]
    assert threshold(DEFAULT, "usd") == 25_000.0 and threshold(DEFAULT, "share") == 0.005
    assert threshold(DEFAULT, "days") == 0.0 and threshold(None, "usd") == 0.0
    assert is_material(25_000, "usd", DEFAULT) and not is_material(24_999.99, "usd", DEFAULT)


@pytest.mark.parametrize("decision, field, words", [
    ({"materiality": -1}, "decision.materiality", "greater than or equal to 0"),
    ({"materiality": "lots"}, "decision.materiality", "a valid number"),
    ({"materiality": float("nan")}, "decision.materiality", "finite number"),
    ({"materiality": 1e12}, "decision.materiality", "less than or equal to 1,000,000,000"),
    ({"materiality_pp": 101}, "decision.materiality_pp", "less than or equal to 100"),
    ({"materiality_pp": -0.1}, "decision.materiality_pp", "greater than or equal to 0"),
    ({"materiality_percent": 1}, "decision.materiality_percent", "unknown field"),
    ("25000", "decision", "a valid dictionary"),
])
def test_bad_decision_values_are_one_line_errors(decision, field, words):
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(tiny(decision=decision), "hospital.yaml")
    text = str(err.value)
    assert len(text.splitlines()) == 1, text
    assert text.startswith(f"hospital.yaml: {field}") and words in text, text


# --------------------------------------------------------------------------- verdicts
@pytest.mark.parametrize("mean, low, high, unit, hib, decision, word", [
    # money: the threshold is compared with the difference as printed (three significant figures)
    (24_960, 20_000, 30_000, "usd", True, DEFAULT, "better"),        # prints +$25.0k: at the threshold
    (25_000, 20_000, 30_000, "usd", True, DEFAULT, "better"),
    (24_940, 20_000, 30_000, "usd", True, DEFAULT, "no material difference"),   # prints +$24.9k
    (-24_940, -30_000, -20_000, "usd", True, DEFAULT, "no material difference"),
    (-30_000, -35_000, -25_000, "usd", True, DEFAULT, "worse"),
    (-30_000, -35_000, -25_000, "usd", False, DEFAULT, "better"),    # a cost that falls
    (30_000, -5_000, 65_000, "usd", True, DEFAULT, "no clear difference"),
    (5_000, 4_000, 6_000, "usd", True, DEFAULT, "no material difference"),   # sure, but small
    (5_000, 4_000, 6_000, "usd", True, NO_THRESHOLD, "better"),
    (0.4, 0.3, 0.5, "usd", True, DEFAULT, "no material difference"),
    (0.004, 0.003, 0.005, "usd", True, NO_THRESHOLD, "no difference"),       # prints $0: never better
    (-0.004, -0.005, -0.003, "usd", True, NO_THRESHOLD, "no difference"),
    # rates: percentage points, one decimal from 0.1 pp (two below)
    (0.0049, 0.004, 0.006, "share", True, DEFAULT, "better"),        # prints +0.5 pp: at the threshold
    (0.0044, 0.004, 0.005, "share", True, DEFAULT, "no material difference"),  # prints +0.4 pp
    (0.00049, 0.0004, 0.0006, "share", True, DEFAULT, "no material difference"),  # +0.05 pp
    (0.00049, 0.0004, 0.0006, "share", True, NO_THRESHOLD, "better"),
    (0.00001, 0.000005, 0.000015, "share", True, NO_THRESHOLD, "no difference"),  # 0.00 pp
    (-0.02, -0.03, -0.01, "share", False, DEFAULT, "better"),        # bad debt down 2 pp
    # days and counts have no threshold: only a zero as printed is no difference
    (-0.04, -0.05, -0.03, "days", False, DEFAULT, "no difference"),
    (-1.0, -1.5, -0.5, "days", False, DEFAULT, "better"),
    (0.3, 0.2, 0.4, "count", None, DEFAULT, "higher"),
    (float("nan"), 0.0, 0.0, "usd", True, DEFAULT, ""),
])
def test_verdicts_at_and_around_the_threshold(mean, low, high, unit, hib, decision, word):
    assert verdict(mean, low, high, unit, hib, decision) == word


def test_a_verdict_never_contradicts_the_number_shown():
    """Over a spread of magnitudes (seeded): "better"/"worse" only for a difference that prints as
    non-zero and at least the threshold, with the sign the number shows."""
    rng = np.random.default_rng(20261123)
    for unit, scale in (("usd", 1e5), ("share", 0.02), ("days", 3.0)):
        for x in rng.normal(0, scale, 2000) * rng.choice([1e-4, 1e-2, 1, 3], 2000):
            text = diff_text(x, unit)
            word = verdict(x, x - abs(x) / 10, x + abs(x) / 10, unit, True, DEFAULT)
            if word in ("better", "worse"):
                assert not is_zero_text(text) and is_material(shown_number(text), unit, DEFAULT), text
                assert (word == "better") == text.startswith("+"), text
            if is_zero_text(text):
                assert word == "no difference", text


@pytest.mark.parametrize("text, value", [
    ("+$25.0k", 25_000.0), (f"{MINUS}$1.27M", -1_270_000.0), ("$0", 0.0), ("+$0.40", 0.4),
    ("+$850", 850.0), ("+0.5 pp", 0.005), (f"{MINUS}0.05 pp", -0.0005), ("54.6 days", 54.6),
    ("+1,234", 1234.0), ("90.2 %", 0.902),
])
def test_shown_number_reads_what_the_reports_print(text, value):
    assert shown_number(text) == pytest.approx(value, rel=1e-12)


# --------------------------------------------------------------------------- the summary
class Fake:
    """Results-shaped: a scenario and hand-made metrics (no simulation)."""

    def __init__(self, scenario, metrics):
        self.scenario, self.metrics = scenario, metrics
        self.provenance = {"seed": 1, "replications": 4}

    @property
    def baseline(self):
        return self.scenario.baseline_strategy


def fake(gains: dict[str, float], troughs: dict[str, float] | None = None, decision=None) -> Fake:
    """Strategies ``sq`` (status quo) and ``gains``' keys with labels "Status quo", "Plan A"…; NPV =
    $1M + gain + a run-to-run wobble shared by every strategy plus a small one of its own."""
    names = ["sq", *gains]
    strategies = {n: {"statement_channel": "email", "write_off": {"after_days": 10000},
                      "label": "Status quo" if n == "sq" else f"Plan {n.upper()}", "baseline": n == "sq"}
                  for n in names}
    sections = {"decision": decision} if decision else {}
    sc = scenario_from_dict(tiny(strategies, **sections))
    rows = []
    for rep in range(4):
        for i, n in enumerate(names):
            own = 1_000.0 * (-1) ** (rep + i)  # sums to zero over the four runs
            rows.append((rep, n, "npv_net_cash", 1e6 + 5e4 * rep + gains.get(n, 0.0) + own))
            rows.append((rep, n, "cash_trough", -5e5 + (troughs or {}).get(n, 0.0) + own))
    return Fake(sc, pd.DataFrame(rows, columns=["replication", "strategy", "metric", "value"]))


def test_headline_names_the_runner_up_and_its_paired_margin():
    res = fake({"a": 300_000, "b": 180_000})
    text = headline(res)
    assert text.startswith("Adopt “Plan A”: +$300k NPV of net collections over 200 days compared with the "
                           "status quo, “Status quo” (95 % CI +$")
    m = re.search(r"the runner-up, “Plan B”, is \$120k behind \(95 % CI \$(\d+)k to \$(\d+)k\)", text)
    assert m and int(m[1]) < 120 < int(m[2]), text
    assert text.endswith("“Plan A” was the best of 3 strategies in 100 % of 4 simulated runs.")
    rec = recommendation(res)
    assert rec.runner_up == "b" and rec.margin == pytest.approx(120_000)
    assert rec.margin_ci_low < 120_000 < rec.margin_ci_high


def test_two_strategies_within_materiality_are_not_ranked():
    res = fake({"a": 300_000, "b": 290_000}, troughs={"b": 200_000})
    text = recommendation_sentence(res)
    assert text.startswith("Adopt “Plan A” or “Plan B”: “Plan A” adds +$300k")
    assert "“Plan A” and “Plan B” are not materially different ($10.0k apart" in text
    assert "below the $25,000 materiality threshold" in text
    assert "choose between them on other grounds: “Plan B” has the higher lowest cash position " \
           f"({MINUS}$300k against {MINUS}$500k)" in text
    assert "runner-up, “Plan B”, is" not in text
    # the same margin with the threshold turned off is a ranking
    text = recommendation_sentence(fake({"a": 300_000, "b": 290_000}, decision={"materiality": 0}))
    assert "the runner-up, “Plan B”, is $10.0k behind" in text


def test_a_gain_below_materiality_keeps_the_status_quo():
    text = recommendation_sentence(fake({"a": 20_000, "b": 5_000}))
    assert text.startswith("Keep the status quo, “Status quo”, unless other grounds decide: no strategy "
                           "is materially better. “Plan A” ranks first, changing the NPV of net collections "
                           "by +$20.0k over 200 days")
    assert "better" not in text.split("materially better")[1]


def test_when_the_status_quo_wins_the_runner_up_is_the_best_alternative():
    text = recommendation_sentence(fake({"a": -100_000, "b": -300_000}))
    assert text.startswith("Keep the status quo, “Status quo”: none of the 2 alternative strategies raised")
    assert "The runner-up, “Plan A”, is $100k behind (95 % CI $" in text


def test_executive_summary_carries_extra_sentences_and_material_words():
    res = fake({"a": 300_000, "b": 180_000}, troughs={"a": 20_000})
    html = executive_summary(res, extra_sentences=["It stays best unless deposit compliance is below 22 %.",
                                                   ""]).data
    assert "<p>It stays best unless deposit compliance is below 22 %.</p>" in html
    assert html.count("<p>") == 2  # the empty sentence adds nothing
    line = re.search(r"<li><strong>Lowest cash position</strong>.*?</li>", html).group(0)
    assert "+$20.0k" in line and "— no material difference" in line and "better" not in line
    assert "$25,000 for money and 0.5 percentage points for rates" in html
