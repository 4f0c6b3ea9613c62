"""Issue 26, item 3: targeted offers (an offer only for a band of an observed score, at a price per
scored account), the score's documented accuracy, and the uplift view (treated and untreated twins)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

from simlib.core.ledger import Kind
from simlib.levers.targeted_offer import score_concordance
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.scenario.schema import ScenarioError, scenario_from_dict
from simlib.studies.uplift import uplift_accounts, uplift_by_score, uplift_segments

DISCOUNT = {"rate": 0.2, "window_days": 30}
LETTERS = {"statement_channel": "letter", "ladder": [{"day": 30, "channel": "letter"}]}


def clinic(strategies: dict, encounters_per_day: float = 20, **patients) -> dict:
    """Self-pay patients only, no billing errors and no calls: accounts share no capacity, so each
    account's ledger depends on its own draws alone."""
    return {
        "name": "targeted",
        "simulation": {"horizon_days": 240, "billing_window_days": 30, "encounters_per_day": encounters_per_day,
                       "open_book_accounts": 0, "measurement_day": 120, "ar_window_days": 60, "seed": 5,
                       "warm_up_days": 0},
        "payers": {"self_pay": {"share": 1.0, "allowed_median": 400, "patient_share": 1.0}},
        "patients": {"propensity_sigma": 1.0, "score_noise_sd": 0.7, **patients},
        "operations": {"billing_team": {"billing_error_rate": 0.0}},
        "strategies": {"letters": {"baseline": True, **LETTERS}, **strategies},
    }


def rows_by_account(res, n: int) -> dict[int, list]:
    led = res.ledger
    out: dict[int, list] = {i: [] for i in range(n)}
    for r, d, k, a in zip(led.receivable.tolist(), led.day.tolist(), led.kind.tolist(), led.amount.tolist()):
        if r >= 0 and r % 2 == 1 and k != Kind.COST_SCORING:
            out[r // 2].append((round(d, 9), k, a))
    return out


def test_the_concordance_formula_matches_the_ranks_of_a_seeded_population():
    """C = (1 + Kendall's τ) ÷ 2 between the observed score and log propensity; σ = 1, s = 0.7:
    C = ½ + arcsin(1/√1.49) ÷ π = 0.8056. Tolerance 0.015: three standard errors at n ≈ 3,600."""
    sc = scenario_from_dict(clinic({}, encounters_per_day=120))
    pop = draw_population(sc, 0)
    tau = kendalltau(pop.score_pct, np.log(pop.propensity)).statistic
    assert score_concordance(1.0, 0.7) == pytest.approx(0.5 + np.arcsin(1 / np.sqrt(1.49)) / np.pi, abs=1e-12)
    assert score_concordance(1.0, 0.7) == pytest.approx(0.8056, abs=1e-4)
    assert (1 + tau) / 2 == pytest.approx(score_concordance(1.0, 0.7), abs=0.015)
    assert score_concordance(1.0, 0.0) == 1.0 and score_concordance(0.0, 0.7) == 0.5


def test_an_account_outside_the_band_is_the_untargeted_strategy_without_the_offer_to_the_cent():
    """Band [0, 0.5] of the propensity score: in the band, every row is the discount strategy's; outside,
    every row is the letters' (no discount opened); each bill scored once at $0.40."""
    targeted = {**LETTERS, "prompt_pay_discount": DISCOUNT,
                "targeted_offer": {"score_max": 0.5, "cost_per_scored_account": 0.4}}
    sc = scenario_from_dict(clinic({"discount": {**LETTERS, "prompt_pay_discount": DISCOUNT}, "targeted": targeted}))
    pop = draw_population(sc, 0)
    runs = {name: World(sc, name, pop).run() for name in ("letters", "discount", "targeted")}
    rows = {name: rows_by_account(res, pop.n) for name, res in runs.items()}
    band = pop.score_pct <= 0.5
    assert 0 < band.sum() < pop.n
    for i in range(pop.n):
        assert rows["targeted"][i] == rows["discount" if band[i] else "letters"][i], i
    led = runs["targeted"].ledger
    scored = led.amount[led.kind == Kind.COST_SCORING]
    assert scored.tolist() == [40] * pop.n and runs["targeted"].counters["targeted_scored"] == pop.n
    assert runs["targeted"].counters["targeted_withheld"] == int((~band).sum())
    assert any(rows["discount"][i] != rows["letters"][i] for i in range(pop.n))  # the offer does something


def test_a_channel_response_score_can_steer_the_ladder():
    """With ``ladder: true`` a step targeted at the top half of the score reaches the top half of the
    channel-response score (its own stream), not of the propensity score."""
    step = {"day": 10, "channel": "letter", "target": {"score_min": 0.5}}
    strategy = {"statement_channel": "letter", "ladder": [step], "prompt_pay_discount": DISCOUNT,
                "targeted_offer": {"score": "contact_response", "ladder": True, "cost_per_scored_account": 0}}
    sc = scenario_from_dict(clinic({"s": strategy}, contact_propensity_correlation=0.0))
    pop = draw_population(sc, 0)
    w = World(sc, "s", pop, trace=True)
    score = np.array(w.levers["targeted_offer"].score)
    assert w.score is w.levers["targeted_offer"].score
    assert abs(np.corrcoef(score, pop.score_pct)[0, 1]) < 0.15  # independent traits: different rankings
    res = w.run()
    reminded = sorted({r // 2 for r, _, what in res.events if what == "letter"})
    assert len(reminded) > 20
    assert all(score[i] >= 0.5 for i in reminded)                 # every reminder: top half of this score
    assert any(pop.score_pct[i] < 0.5 for i in reminded)          # not the propensity score's top half


def test_uplift_twins_split_the_accounts_and_an_offer_that_changes_nothing_persuades_no_one():
    sc = scenario_from_dict(clinic({"discount": {**LETTERS, "prompt_pay_discount": DISCOUNT},
                                    "nothing": {**LETTERS, "prompt_pay_discount": {"rate": 0.0, "window_days": 30}}}))
    acc = uplift_accounts(sc, "discount", "prompt_pay_discount", replications=2, seed=3)
    seg = uplift_segments(acc)
    assert seg.share.sum() == pytest.approx(1.0)
    assert seg.loc["persuadable", "share"] > 0.01
    # treated accounts paid in full = persuadables + sure things, run by run
    pop = draw_population(sc, 0, 3)
    res = World(sc, "discount", pop).run()
    paid = sum(1 for i in range(pop.n) if pop.patient_cents[i] > 0 and res.open_cents[2 * i + 1] == 0
               and not res.ledger.per_receivable([Kind.WRITE_OFF_BAD_DEBT, Kind.WRITE_OFF_SMALL, Kind.CHARITY_CARE,
                                                  Kind.WRITE_OFF_DENIAL], 2 * pop.n)[2 * i + 1])
    first = acc[acc.replication == 0]
    assert paid == int(first.segment.isin(["persuadable", "sure thing"]).sum())
    none = uplift_segments(uplift_accounts(sc, "nothing", "prompt_pay_discount", replications=2, seed=3))
    assert none.loc["persuadable", "share"] == 0 and none.loc["do-not-disturb", "share"] == 0
    assert none.net_per_account.abs().sum() == 0
    by_score = uplift_by_score(acc, bands=4)
    assert len(by_score) == 4 and by_score.score_to.iloc[-1] == 1.0


def test_bad_targeting_gets_one_clear_line():
    with pytest.raises(ScenarioError, match=r"targeted_offer.offers: expected offers the strategy makes"):
        scenario_from_dict(clinic({"s": {**LETTERS, "targeted_offer": {}}}))
    with pytest.raises(ScenarioError, match=r"score_min must be <= score_max"):
        scenario_from_dict(clinic({"s": {**LETTERS, "prompt_pay_discount": DISCOUNT,
                                         "targeted_offer": {"score_min": 0.8, "score_max": 0.2}}}))


def test_the_report_shows_who_the_targeted_offer_changes(tmp_path):
    """The derived tables carry the uplift of the first targeted offer; the contributions block shows it
    by segment and by score band, the bands the offer goes to marked."""
    from simlib.report.contribution_blocks import contribution_section
    from simlib.report.derived import load_results, save_results
    from simlib.run.experiment import run_experiment

    targeted = {**LETTERS, "prompt_pay_discount": DISCOUNT, "targeted_offer": {"score_max": 0.6}}
    sc = scenario_from_dict(clinic({"targeted": targeted}, encounters_per_day=5))
    res = run_experiment(sc, replications=2, seed=3, workers=1)
    folder = save_results(res, tmp_path / "results", ["contributions"], workers=1, log=lambda *a: None)
    html = contribution_section(load_results(results_dir=str(folder))).data
    assert "Who the targeted offer changes" in html and "Persuadable" in html
    assert html.count(" ✓") == 3  # bands 0–20, 20–40, 40–60 % of the score
