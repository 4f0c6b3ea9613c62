"""Where the status quo's patient dollars go (simlib.studies.patient_dollars; docs/calibration.md §10):
every billed cent ends in exactly one outcome, the groups partition the patient dollars, and the
study's ledger sums agree with the run's own metrics (two code paths)."""
from __future__ import annotations

import pytest

from simlib import run_experiment
from simlib.studies.patient_dollars import OUTCOMES, patient_dollars, shares
from tests.test_charity_gap import small_baseline


def test_every_patient_cent_ends_in_one_outcome_and_the_groups_partition_them():
    sc = small_baseline()
    cents = patient_dollars(sc, replications=[0, 1], seed=7, draws=False)
    assert (cents["billed"] == cents[list(OUTCOMES)].sum(axis=1)).all()          # to the cent
    for rep, one in cents.groupby("replication"):
        g = one.set_index("group")[["billed", *OUTCOMES]]
        payers = g.loc[list(sc.payers)].sum()
        fap = g.loc[["eligible_found", "eligible_missed", "not_eligible"]].sum()
        assert (payers == g.loc["all"]).all() and (fap == g.loc["all"]).all()
        assert g.loc["eligible_missed", "charity"] == 0 and g.loc["not_eligible", "charity"] == 0
        assert g.loc["eligible_found", "charity"] > 0

    # the same cohort and the same cents as the run's metrics (replication by replication)
    res = run_experiment(sc, replications=2, seed=7, workers=1)
    m = res.metrics.pivot_table(index="replication", columns="metric", values="value")
    alls = cents[cents.group == "all"].set_index("replication")
    kodiak = alls["collected"] / (alls["billed"] - alls["corrections"])
    assert kodiak.to_numpy() == pytest.approx(m["patient_responsibility_collection_rate"].to_numpy(), rel=1e-12)
    assert (alls["charity"] / 100).to_numpy() == pytest.approx(m["charity_care"].to_numpy(), rel=1e-12)
    net = alls["collected"] / (alls["billed"] - alls["corrections"] - alls["charity"])
    assert net.to_numpy() == pytest.approx(m["patient_collection_rate"].to_numpy(), rel=1e-12)

    table = shares(cents)
    assert table.loc["all", "billed"] == 1.0
    assert table.loc[list(sc.payers), "billed"].sum() == pytest.approx(1.0)
    assert table.loc["all", "charity_to_bad_debt"] == pytest.approx(
        alls["charity"].sum() / (alls["bad_debt"].sum() + alls["open"].sum()))


def test_without_a_policy_there_are_no_assistance_groups():
    cents = patient_dollars(small_baseline(financial_assistance=None), replications=[0], seed=7, draws=False)
    assert set(cents.group) == {"all", "medicare", "commercial", "medicaid", "self_pay"}
    assert cents["charity"].sum() == 0
