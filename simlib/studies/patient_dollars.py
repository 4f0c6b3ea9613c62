"""Where a strategy's patient dollars go: collected, charity care, bad debt, still open, corrected or
adjusted — by payer and by financial-assistance group (issue 25, item 3; docs/calibration.md §10).

The calibration compares the status quo with published figures that are defined on patient
dollars: Kodiak's patient collection rate (collected ÷ everything patients owed, charity care
included), the share of bad debt owed by patients eligible for financial assistance (hospitals'
IRS Schedule H estimates), charity care ÷ bad debt. The run's metrics are shares of net revenue;
this study reads the ledger of each run instead and sums, over the measured cohort's patient
balances (the metrics' cohort, :mod:`simlib.model.measurement_window`), where every billed cent
ended: ``billed = collected + charity + bad_debt + open + corrections + allowances`` to the cent
(collected net of refunds; a secondary payer's denial passed to the patient counts as billed).

Groups: ``all``; each payer; and by the scenario's financial assistance policy
(:mod:`simlib.levers.financial_assistance`): ``eligible_found`` (the policy forgives part or all
and the screening found the patient), ``eligible_missed`` (it would, but the screening missed
them: their unpaid balance is bad debt) and ``not_eligible``. Each run draws the scenario's
uncertain assumptions as the board does (``draws=False``: the file's values).

``python -m simlib.studies.patient_dollars SCENARIO.yaml [--replications 40] [--seed N] [--no-draws]``
prints the table in percent of the patient dollars billed.
"""
from __future__ import annotations

import argparse
from collections.abc import Iterable

import numpy as np
import pandas as pd

from simlib.core import receivables
from simlib.core.ledger import COLLECTED, REFUNDS, Kind
from simlib.levers.financial_assistance import charity_rate
from simlib.model import measurement_window as mw
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.scenario.schema import Scenario, load_scenario
from simlib.scenario.uncertain import draw_assumptions

#: where a patient dollar ends, in the order of the table
OUTCOMES = ("collected", "charity", "bad_debt", "open", "corrections", "allowances")
_KINDS = {"billed": [Kind.BILLED, Kind.TRANSFER_FROM_PAYER], "passed_out": [Kind.TRANSFER_TO_PATIENT],
          "collected": list(COLLECTED), "refunded": list(REFUNDS), "charity": [Kind.CHARITY_CARE],
          "bad_debt": [Kind.WRITE_OFF_BAD_DEBT], "corrections": [Kind.CORRECTION],
          "allowances": [Kind.DISCOUNT, Kind.WRITE_OFF_SMALL]}


def _groups(sc: Scenario, pop, n_recv: int, cohort: np.ndarray) -> dict[str, np.ndarray]:
    enc = receivables.encounters(pop.n, n_recv)
    patient = cohort & (receivables.sides(pop.n, n_recv) == receivables.PATIENT)
    out = {"all": patient}
    for j, name in enumerate(pop.payer_names):
        out[name] = patient & (pop.payer[enc] == j)
    fap = sc.finance.financial_assistance
    if fap is not None:
        eligible = np.array([charity_rate(fap, a) > 0 for a in pop.ability_monthly.tolist()], bool)
        if fap.payers is not None:
            eligible &= np.isin(np.asarray(pop.payer_names)[pop.payer], fap.payers)
        found = pop.charity_u < fap.identification_rate
        out["eligible_found"] = patient & (eligible & found)[enc]
        out["eligible_missed"] = patient & (eligible & ~found)[enc]
        out["not_eligible"] = patient & ~eligible[enc]
    return out


def patient_dollars(sc: Scenario, strategy: str | None = None, replications: Iterable[int] = range(4),
                    seed: int | None = None, draws: bool = True) -> pd.DataFrame:
    """Cents per (replication, group): ``billed`` and each of :data:`OUTCOMES`, for ``strategy``
    (default: the scenario's status quo) on replications ``replications`` of ``seed`` (default:
    the file's), the uncertain assumptions drawn as in :func:`simlib.run_experiment` unless
    ``draws`` is false."""
    strategy = strategy or sc.baseline_strategy
    seed = sc.simulation.seed if seed is None else seed
    rows = []
    for rep in replications:
        run_sc = draw_assumptions(sc, rep, seed)[0] if draws else sc
        pop = draw_population(run_sc, rep, seed)
        res = World(run_sc, strategy, pop).run()
        n_recv = pop.n_receivables
        per = {k: res.ledger.per_receivable(kinds, n_recv) for k, kinds in _KINDS.items()}
        per["billed"] = per["billed"] - per.pop("passed_out")
        per["collected"] = per["collected"] - per.pop("refunded")
        per["open"] = res.open_cents
        cohort = receivables.per_receivable(mw.cohort(pop.service_day, pop.open_book, run_sc.simulation), n_recv)
        for group, sel in _groups(run_sc, pop, n_recv, cohort).items():
            rows.append({"replication": rep, "group": group,
                         **{k: int(per[k][sel].sum()) for k in ("billed", *OUTCOMES)}})
    return pd.DataFrame(rows)


def shares(cents: pd.DataFrame) -> pd.DataFrame:
    """Pooled over the runs, per group: each outcome as a share of all the patient dollars billed
    (so the payer rows add up to ``all``), Kodiak's collection rate (collected ÷ (billed −
    corrections)) and charity ÷ (bad debt + open) within the group."""
    pooled = cents.groupby("group", sort=False)[["billed", *OUTCOMES]].sum()
    total = float(pooled.loc["all", "billed"])
    out = pooled.div(total)
    out["kodiak_collection_rate"] = pooled["collected"] / (pooled["billed"] - pooled["corrections"])
    unpaid = pooled["bad_debt"] + pooled["open"]
    out["charity_to_bad_debt"] = pooled["charity"] / unpaid.where(unpaid > 0)
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m simlib.studies.patient_dollars", description=__doc__.split("\n")[0])
    p.add_argument("scenario")
    p.add_argument("--strategy")
    p.add_argument("--replications", type=int, default=4)
    p.add_argument("--seed", type=int)
    p.add_argument("--no-draws", action="store_true", help="the file's values, no uncertain assumptions drawn")
    a = p.parse_args(argv)
    table = shares(patient_dollars(load_scenario(a.scenario), a.strategy, range(a.replications), a.seed,
                                   draws=not a.no_draws))
    pct = table.copy()
    pct[["billed", *OUTCOMES, "kodiak_collection_rate"]] *= 100
    print(pct.round(2).to_string())


if __name__ == "__main__":
    main()
