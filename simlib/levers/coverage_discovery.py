"""Coverage discovery: a vendor searches insurers' eligibility files for cover the patient did not
declare, and a share of self-pay accounts turn out to be insured (issue 26; Experian Health and
others sell it to hospitals). A found account is billed to the found payer instead: its claim is the
payer's share of the same allowed amount, submitted ``search_days`` after service plus the payer's
own submission lag, adjudicated after the payer's lag, denied at first with the payer's rate (its
denials then go through the denials team like any other claim), and the patient's statement follows
the adjudication with the payer's patient share. The vendor is paid ``fee_rate`` of what the found
payer pays, the day it pays (a contingency fee, ``FEE_COVERAGE_DISCOVERY`` rows on the claim), and
``cost_per_search`` per account searched (on its service day, receivable −1).

Who is searched: the encounters of ``searched_payers`` (default: every payer whose patient share is
1, the self-pay) served while the strategy runs (not the open book). Each is found insured with
probability ``found_rate``, from the lever's own stream: the same accounts in every replication's
strategies (common random numbers), and no other draw moves. The found account keeps its other traits
(the patient's propensity, ability); levers that choose by payer (a discount's ``eligible_payers``,
a deposit's exclusions) still see the payer the patient declared.

Defaults — every one an **assumption** (vendor figures, not audited): ``found_rate`` 0.15 (range
0.05–0.3), billed to ``medicaid`` (most undeclared cover of the uninsured is Medicaid, often
retroactive), ``search_days`` 3, ``fee_rate`` 0.15 (contingency fees of 10–25 % are quoted; range
0.1–0.25), ``cost_per_search`` 0. Counters: ``coverage_searches``, ``coverage_found``.
"""
from __future__ import annotations

import numpy as np

from simlib.core.language import N_, _, money_text, short_number_text
from simlib.core.ledger import Kind
from simlib.core.settings import Fraction, NonNeg, Strict, cents
from simlib.levers.base import Assumption, Lever, register_lever, unknown_payers


class CoverageDiscovery(Strict):
    found_rate: Fraction = 0.15
    found_payer: str = "medicaid"
    searched_payers: list[str] | None = None
    search_days: NonNeg = 3.0
    fee_rate: Fraction = 0.15
    cost_per_search: NonNeg = 0.0


def searched_payer_names(settings: CoverageDiscovery, scenario) -> list[str]:
    """The payers whose accounts are searched: as given, or every payer with a patient share of 1."""
    if settings.searched_payers is not None:
        return list(settings.searched_payers)
    return [name for name, p in scenario.payers.items() if p.patient_share >= 1.0]


@register_lever
class CoverageDiscoveryLever(Lever):
    key = "coverage_discovery"
    settings = CoverageDiscovery | None
    order = 0
    title = N_("Coverage discovery")
    counters = {"coverage_searches": "self-pay accounts searched for undeclared insurance",
                "coverage_found": "accounts found insured and billed to the found payer"}
    glossary = ((N_("Coverage discovery"), N_("A vendor's search of insurers' records for insurance a patient "
                 "registered as self-pay did not declare; the bill then goes to the insurer it finds.")),)
    risk = (N_("Coverage discovery"), N_("A found payer pays only within its filing limit and its own rules "
            "(Medicaid's retroactive cover varies by state); the vendor's contingency fee is due on what the payer "
            "pays, and searching a patient's cover needs a permitted purpose under HIPAA."))
    assumptions = (Assumption("found_rate", N_("Self-pay accounts found insured"), 0.05, 0.3, mode="set"),)

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        words = _("coverage discovery: {found} % of self-pay accounts found insured and billed to {payer} "
                  "({fee} % of what it pays to the vendor").format(
            found=short_number_text(round(settings.found_rate * 100, 1)), payer=settings.found_payer.replace("_", " "),
            fee=short_number_text(round(settings.fee_rate * 100, 1)))
        if settings.cost_per_search:
            words += _(", {cost} per search").format(cost=money_text(settings.cost_per_search, 2))
        return words + ")"

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        if settings is None:
            return []
        problems = unknown_payers(f"{at}.searched_payers", settings.searched_payers, scenario)
        if settings.found_payer not in scenario.payers:
            problems.append(f"{at}.found_payer: expected a payer among {sorted(scenario.payers)}; "
                            f"found {settings.found_payer!r}")
        elif scenario.payers[settings.found_payer].patient_share >= 1.0:
            problems.append(f"{at}.found_payer: expected an insurer (patient share below 1); "
                            f"found {settings.found_payer!r}, whose patients pay everything")
        if getattr(strategy, "factoring", None) is not None:
            problems.append(f"{at}: expected no factoring in the same strategy (the factor's settlement reads the "
                            f"declared payer); found both")
        return problems

    def __init__(self, world, settings):
        super().__init__(world, settings)
        pop, sc, cfg = world.pop, world.sc, settings
        names = list(pop.payer_names)
        searched = np.isin(pop.payer, [names.index(p) for p in searched_payer_names(cfg, sc)]) & ~pop.open_book
        world.count("coverage_searches", int(np.count_nonzero(searched)))
        per = cents(cfg.cost_per_search)
        if per > 0:
            for day in pop.service_day[searched].tolist():
                world.ledger.post(-1, day, Kind.FEE_COVERAGE_DISCOVERY, per)
        u = pop.draws("coverage_discovery", lambda rng, n: rng.random((n, 4)))
        found = np.flatnonzero(searched & (u[:, 0] < cfg.found_rate))
        if not len(found):
            return
        world.count("coverage_found", len(found))
        payer = sc.payers[cfg.found_payer]
        submit = cfg.search_days + payer.submission_lag_days * -np.log1p(-u[found, 1])
        adjudication = payer.adjudication_days_min + (payer.adjudication_days_mean - payer.adjudication_days_min) \
            * -np.log1p(-u[found, 2])
        bill_day = pop.service_day[found] + submit + adjudication
        world.payer_index[found] = names.index(cfg.found_payer)
        world.bill_day[found] = bill_day
        world.denial_u = world.denial_u.copy()
        world.denial_u[found] = u[found, 3]
        allowed = pop.allowed_cents[found]
        claim = np.round(allowed * (1.0 - payer.patient_share)).astype(np.int64)
        for i, day, c, a in zip(found.tolist(), np.maximum(world.start_day, bill_day).tolist(), claim.tolist(),
                                allowed.tolist()):
            world.adjudication_day[i] = day
            world.claim_cents[i], world.patient_cents[i] = c, a - c
            world.insurer_payment_fees[2 * i] = (cfg.fee_rate, Kind.FEE_COVERAGE_DISCOVERY)
