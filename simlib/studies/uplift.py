"""Uplift: who changes behaviour because of an offer (issue 26, item 3).

A lever's contribution (:mod:`simlib.studies.contributions`) says what it adds on average; an offer's
**uplift** says to whom. Each patient account is run twice, with the strategy (treated) and with the
same strategy without the lever (untreated): twins with the same patient and the same random streams
(the population is drawn once per replication and read, never consumed, by the world), so the only
difference between the twins is the offer. Each account falls in one of four groups (the classical
uplift segments, Radcliffe and Surry 2011):

- **persuadable**: pays its bill in full only with the offer;
- **sure thing**: pays with or without it (a discount to it is money given away);
- **lost cause**: pays in neither;
- **do-not-disturb**: pays only without it (the offer held the account back: a plan that defaulted).

"Pays in full": the patient's balance is closed by payments of the patient, an agency or a lender
(and the discount allowed) by the horizon, with no write-off. Alongside, the money: what the hospital
collects on the account with the offer less without it, and the offer's own costs and discounts.
:func:`uplift_by_score` gives the same by band of the observed propensity score: where the
persuadables are is where a targeted offer should go.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simlib.core.ledger import COLLECTED, COSTS, Kind
from simlib.model.engine import World
from simlib.model.population import draw_population

SEGMENTS = ("persuadable", "sure thing", "lost cause", "do-not-disturb")
WRITE_OFFS = (Kind.WRITE_OFF_BAD_DEBT, Kind.WRITE_OFF_SMALL, Kind.CHARITY_CARE, Kind.WRITE_OFF_DENIAL)


def _patient_outcomes(res, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per encounter: whether the patient paid in full, the cents collected on the patient's bill,
    and the costs and allowances booked on it."""
    led, n_recv = res.ledger, 2 * n
    collected = led.per_receivable(COLLECTED, n_recv)[1::2]
    written_off = led.per_receivable(WRITE_OFFS, n_recv)[1::2]
    spent = led.per_receivable(list(COSTS) + [Kind.DISCOUNT], n_recv)[1::2]
    billed = led.per_receivable([Kind.BILLED], n_recv)[1::2]
    paid = (billed > 0) & (res.open_cents[1::2] == 0) & (written_off == 0) & (collected > 0)
    return paid, collected, spent


def uplift_accounts(scenario, strategy: str, lever: str | Sequence[str], replications: int,
                    seed: int | None = None) -> pd.DataFrame:
    """One row per patient account and replication: the account's score percentile, its segment, and
    collected / spent cents with (``_treated``) and without (``_untreated``) the lever ``lever`` (or the
    levers, removed together: an offer and the targeting that aims it)."""
    seed = scenario.simulation.seed if seed is None else seed
    levers = [lever] if isinstance(lever, str) else list(lever)
    for key in levers:
        if getattr(scenario.strategies[strategy], key, None) is None:
            raise ValueError(f"strategy {strategy!r} does not use the lever {key!r}")
    twin = f"{strategy}__without_{'_'.join(levers)}"
    sc = scenario.variant(twin, from_=strategy, **{key: None for key in levers})
    rows = []
    for r in range(replications):
        pop = draw_population(sc, r, seed)
        with_offer, without = World(sc, strategy, pop).run(), World(sc, twin, pop).run()
        p1, c1, s1 = _patient_outcomes(with_offer, pop.n)
        p0, c0, s0 = _patient_outcomes(without, pop.n)
        has_bill = (pop.patient_cents > 0) & (pop.service_day >= 0)
        seg = np.select([p1 & ~p0, p1 & p0, ~p1 & ~p0], SEGMENTS[:3], SEGMENTS[3])
        rows.append(pd.DataFrame({
            "replication": r, "encounter": np.flatnonzero(has_bill), "score": pop.score_pct[has_bill],
            "segment": seg[has_bill], "collected_treated": c1[has_bill], "collected_untreated": c0[has_bill],
            "spent_treated": s1[has_bill], "spent_untreated": s0[has_bill]}))
    return pd.concat(rows, ignore_index=True)


def uplift_segments(accounts: pd.DataFrame) -> pd.DataFrame:
    """Per segment: its share of accounts and the net money the offer moves there (collected with −
    without, less the extra costs and discounts), per account of the whole book, averaged over runs."""
    reps = accounts.replication.nunique()
    n = len(accounts) / reps
    net = (accounts.collected_treated - accounts.collected_untreated
           - (accounts.spent_treated - accounts.spent_untreated))
    g = accounts.assign(net=net).groupby("segment")
    out = pd.DataFrame({"share": g.size() / len(accounts), "net_per_account": g.net.sum() / reps / n / 100.0})
    return out.reindex(list(SEGMENTS)).fillna(0.0)


def uplift_by_score(accounts: pd.DataFrame, bands: int = 5) -> pd.DataFrame:
    """Per band of the observed score (``bands`` equal bands of percentiles): the share persuaded less
    the share held back (the offer's uplift on paying in full) and the net money per account."""
    band = np.minimum((accounts.score * bands).astype(int), bands - 1)
    net = (accounts.collected_treated - accounts.collected_untreated
           - (accounts.spent_treated - accounts.spent_untreated)) / 100.0
    frame = accounts.assign(band=band, net=net,
                            up=(accounts.segment == "persuadable").astype(float)
                            - (accounts.segment == "do-not-disturb").astype(float))
    g = frame.groupby("band")
    return pd.DataFrame({"score_from": g.band.first() / bands, "score_to": (g.band.first() + 1) / bands,
                         "uplift_paid_in_full": g.up.mean(), "net_per_account": g.net.mean()}).reset_index(drop=True)


#: runs of each twin in the report's uplift table (two full-size runs each)
UPLIFT_REPLICATIONS = 3


def offer_uplift(scenario, replications: int = UPLIFT_REPLICATIONS, seed: int | None = None,
                 bands: int = 5) -> pd.DataFrame | None:
    """The report's uplift table for the first strategy with a targeted offer (None without one): its
    offers and their targeting removed together, one row per segment (``kind`` "segment") and per band
    of the propensity score (``kind`` "band"), with the strategy's score band (``target_from/to``)."""
    name = next((n for n, st in scenario.strategies.items() if getattr(st, "targeted_offer", None) is not None), None)
    if name is None:
        return None
    settings = scenario.strategies[name].targeted_offer
    acc = uplift_accounts(scenario, name, [*settings.offers, "targeted_offer"], replications, seed)
    seg = uplift_segments(acc).reset_index().rename(columns={"index": "segment"})
    seg = seg.assign(kind="segment")
    band = uplift_by_score(acc, bands).assign(kind="band")
    out = pd.concat([seg, band], ignore_index=True)
    return out.assign(strategy=name, score=settings.score, target_from=settings.score_min,
                      target_to=settings.score_max, replications=replications)
