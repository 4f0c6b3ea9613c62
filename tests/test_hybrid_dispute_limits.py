"""Disputes under quiet hours and a message cap on the hybrid engine (simlib.model.vectorized_notices
``shift_moves_notices``): a dispute moves every later action by its duration, to any hour; a
message step at a fixed hour is judged at that hour, one without at the hour it runs (the shifted
day, which the NumPy model reads too), and the 7-day cap counts the days messages went out, which a
shift only spreads apart — so the disputes run in NumPy, identical to pure SimPy (every ledger row,
cent and day, open balance, counter and metric). A ladder notice the quiet hours may move (no hour,
or an hour inside them) keeps the disputes on SimPy: its slot after a dispute depends on the
shifted hour. Small worlds, many early disputes, a cap of one message a week, texts at any hour;
seeded, and random limits and ladders (hypothesis)."""
from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.model.vectorized_disputes import disputes_in_numpy
from simlib.scenario.schema import scenario_from_dict
from test_hybrid import ROOT, assert_identical

#: texts at any hour close together (the cap of one a week suppresses most), a letter and a formal
#: demand at the default hour (10 h, outside the quiet hours)
TEXTS = [{"day": 2, "channel": "whatsapp", "hour": None}, {"day": 6, "channel": "sms", "hour": None},
         {"day": 11, "channel": "email", "hour": None}, {"day": 16, "channel": "sms", "hour": None},
         {"day": 30, "channel": "letter"}, {"day": 45, "channel": "sms", "hour": None},
         {"day": 60, "channel": "formal_demand"}]


def _chile(strategies: dict, limits: dict | None = None, error_rate: float = 0.3, delay_days: float = 8.0,
           encounters_per_day: float = 3.0, simulation: dict | None = None, behaviour: dict | None = None):
    """Chile's clinic, small, with ``strategies`` (on its status quo's settings), the contact
    limits ``limits`` (default: Ley 21.320's), a billing error on ``error_rate`` of the bills and
    disputes raised ``delay_days`` after the statement on average."""
    data = yaml.safe_load((ROOT / "parameters" / "chile_clinic.yaml").read_text(encoding="utf-8"))
    data["simulation"].update({"encounters_per_day": encounters_per_day, "warm_up_days": 60, **(simulation or {})})
    data["behaviour"].update(behaviour or {})
    data["operations"]["billing_team"].update(billing_error_rate=error_rate, dispute_delay_days_mean=delay_days,
                                              staff=2)
    base = {k: v for k, v in data["strategies"]["cartas"].items() if k not in ("label", "description", "baseline")}
    data["strategies"] = {name: {**base, **({"contact_limits": limits} if limits else {}), **extra}
                          for name, extra in strategies.items()}
    next(iter(data["strategies"].values()))["baseline"] = True
    data.pop("uncertain", None)
    data.pop("search", None)
    if limits is not None:  # limits other than the law's: a hospital under no jurisdiction's checks
        data.pop("jurisdiction")
    return scenario_from_dict(data, "chile_clinic, disputes under contact limits (small)")


def test_chiles_strategies_run_their_disputes_in_numpy():
    """Chile's status quo and texts under Ley 21.320 (two messages a week, letters counted; quiet
    hours 20-8) with many disputes: every account and dispute in NumPy, identical."""
    sc = _chile({"cartas": {}, "whatsapp_y_sms": {"ladder": [{"day": 5, "channel": "whatsapp"},
                                                             {"day": 15, "channel": "sms"},
                                                             {"day": 30, "channel": "letter"},
                                                             {"day": 60, "channel": "formal_demand"}]}})
    pop = draw_population(sc, 1)
    for name in sc.strategies:
        assert sc.strategies[name].contact_limits.messages_per_7_days_max == 2
        assert assert_identical(sc, name, pop) == 1.0, name
        world = World(sc, name, pop, hybrid=True)
        assert world.numpy_disputes
        assert world.run().counters["disputes"] > 50


def test_a_cap_of_one_a_week_and_texts_at_any_hour_after_a_dispute():
    """Texts without an hour every few days under a cap of one counted message a week and quiet
    hours 20-8: the cap and the quiet hours suppress many, before and after the disputes (most
    raised within the texts' weeks); identical, disputes in NumPy."""
    limits = {"messages_per_7_days_max": 1, "quiet_hours": [20, 8],
              "message_cap_channels": ["whatsapp", "sms", "email", "letter", "formal_demand"]}
    sc = _chile({"texts": {"ladder": TEXTS}, "texts_default_cap": {"ladder": TEXTS, "credit_terms_days": 10}},
                limits=limits, delay_days=5.0, encounters_per_day=4.0)
    pop = draw_population(sc, 2)
    for name in sc.strategies:
        assert assert_identical(sc, name, pop) == 1.0, name
        world = World(sc, name, pop, hybrid=True)
        assert world.numpy_disputes
        c = world.run().counters
        assert c["disputes"] > 100 and c["suppressed_contacts"] > 200 and c["suppressed_email"] > 20, c
        assert c["contacts_sms"] > 100 and c.get("notices_moved", 0) == 0


def test_a_notice_the_quiet_hours_may_move_keeps_the_disputes_on_simpy():
    """A formal demand without an hour (or at 22 h) under quiet hours: after a dispute its slot
    depends on the shifted hour, so the disputes stay on SimPy (the other accounts run in NumPy,
    identical); the notices are moved."""
    at_any_hour = [*TEXTS[:-1], {"day": 60, "channel": "formal_demand", "hour": None}]
    at_night = [*TEXTS[:-1], {"day": 60, "channel": "formal_demand", "hour": 22.0}]
    sc = _chile({"any_hour": {"ladder": at_any_hour}, "at_night": {"ladder": at_night}},
                limits={"quiet_hours": [20, 8]})
    pop = draw_population(sc, 3)
    for name in sc.strategies:
        assert not disputes_in_numpy(sc, sc.strategies[name])
        assert 0.5 < assert_identical(sc, name, pop) < 1.0, name
        c = World(sc, name, pop, hybrid=True).run().counters
        assert c["notices_moved"] > 20 and c["disputes"] > 50


def test_a_letter_delivered_the_instant_of_a_later_step_after_a_dispute():
    """A letter at 10 h on day 30 arrives on day 37 at 10 h, the instant of the next step (10 h on day
    37): the engine files a delivery sent after a dispute on its shifted clock, (sent + shift + 7) −
    shift, and runs the two in that day's order, which the NumPy schedule keeps (no limits here;
    tests/test_hybrid_dispute_limits.py's subject is the disputes' clock)."""
    ladder = [{"day": 30, "channel": "letter"}, {"day": 37, "channel": "sms"}, {"day": 44, "channel": "letter"},
              {"day": 51, "channel": "email"}]
    sc = _chile({"ties": {"ladder": ladder}}, limits={"quiet_hours": None}, delay_days=5.0, encounters_per_day=6.0)
    for replication in (1, 2):
        pop = draw_population(sc, replication)
        assert assert_identical(sc, "ties", pop) == 1.0
        assert World(sc, "ties", pop, hybrid=True).run().counters["disputes"] > 200


def test_a_notice_a_cap_of_zero_counts_is_moved_from_the_hour_it_runs():
    """A formal demand at 10 h on the statement's day, which a cap of 0 counts: never allowed at
    once, the engine looks for the end of the quiet hours from the hour the step runs — the
    statement's, when 10 h was before it (simlib.model.vectorized_notices ``MovedNotices.capped``);
    its disputes stay on SimPy (the slot would follow the shifted hour)."""
    ladder = [{"day": 0, "channel": "formal_demand"}, {"day": 20, "channel": "letter"}]
    limits = {"quiet_hours": [20, 8], "messages_per_7_days_max": 0, "message_cap_channels": ["formal_demand"]}
    for error_rate in (0.0, 0.3):
        sc = _chile({"capped": {"ladder": ladder}}, limits=limits, error_rate=error_rate)
        assert not disputes_in_numpy(sc, sc.strategies["capped"]) or error_rate == 0.0
        pop = draw_population(sc, 1)
        assert assert_identical(sc, "capped", pop) > 0.6
        assert World(sc, "capped", pop, hybrid=True).run().counters["notices_moved"] > 20


_CHANNELS = ("letter", "sms", "email", "whatsapp", "formal_demand")


@hst.composite
def limited_strategy(draw):
    """A random ladder (channels, days, hours or none) under random quiet hours and caps. Steps on
    distinct days from day 1 on: two steps of the same instant sent in another order than the
    ladder's (a step at an hour before the statement's runs at it) are not the subject here."""
    days = draw(hst.lists(hst.integers(1, 70), min_size=1, max_size=6, unique=True))
    steps = [{"day": day, "channel": draw(hst.sampled_from(_CHANNELS)),
              "hour": draw(hst.sampled_from([None, 10.0, 19.5, 22.0])),
              "relative_to": draw(hst.sampled_from(["statement", "due_date"]))} for day in days]
    limits = {"quiet_hours": draw(hst.sampled_from([None, [20, 8], [21, 7], [0, 6]])),
              "messages_per_7_days_max": draw(hst.sampled_from([None, 0, 1, 2, 3])),
              "message_cap_channels": draw(hst.sampled_from([None, ["sms", "email", "whatsapp", "letter",
                                                                     "formal_demand"], ["sms"]]))}
    st = {"ladder": steps, "credit_terms_days": draw(hst.sampled_from([10, 30]))}
    if draw(hst.booleans()):
        st["prompt_pay_discount"] = {"rate": 0.05, "window_days": draw(hst.sampled_from([10, 40]))}
    behaviour = {"floor_per_day": draw(hst.sampled_from([0.0, 0.0005])),
                 "full_payment": draw(hst.sampled_from(["ability", "never"]))}
    return (st, limits, behaviour, draw(hst.sampled_from([0.1, 0.5])), draw(hst.sampled_from([2.0, 20.0])),
            draw(hst.integers(0, 30)))


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=limited_strategy())
def test_random_limits_and_ladders_with_disputes_are_identical_on_both_engines(case):
    strategy, limits, behaviour, error_rate, delay_days, replication = case
    sc = _chile({"random": strategy}, limits=limits, error_rate=error_rate, delay_days=delay_days,
                encounters_per_day=1.5, behaviour=behaviour,
                simulation={"warm_up_days": 30, "horizon_days": 300, "billing_window_days": 200,
                            "measurement_day": 200, "ar_window_days": 60})
    assert_identical(sc, "random", draw_population(sc, replication))
