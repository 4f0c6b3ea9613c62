"""The measurement window: what of a run the metrics count (issue 20, steady state).

A run may start with a **warm-up** (``simulation.warm_up_days``, W): encounters arrive from day −W
on, at the scenario's rate, and the strategy works them exactly as it works the later ones, so on
day 0 the hospital holds the book that strategy keeps in its steady state — unpaid bills of every
age, the care they cost already paid, collections already flowing. Everything before day 0 is
simulated and left out of every metric; the measurement window is ``[0, horizon]``:

- **cash** (the cash curve, its low point, the credit line): every flow after day 0
  (:func:`measured`) — the book's collections too: the running hospital's cash; the cash curve starts at ``finance.starting_cash`` on day 0, the hospital's cash then;
- **rates** (net and patient collection, bad debt, charity, denials): the *measured cohort*, every
  receivable of an encounter served in ``[0, billing_window_days]`` (and an open book given at day 0,
  :mod:`simlib.model.open_book`), followed to the horizon; the warm-up's encounters are not in it;
- **A/R** (days in A/R, aging, the A/R curve): the receivables open on the day measured, whatever
  their service day — the warm-up's among them, as in a running hospital;
- **money of the decision** (NPV, cash collected, collection cost and cost to collect): the measured
  cohort's flows and the teams' staffed hours in the window (:func:`counted`), so a strategy is
  judged on the patients it serves from day 0, not on the size of the book its own past left;
- **counts** (contacts, calls, disputes …): per account over every account simulated (the warm-up's
  were worked by the same strategy, so the per-account rate is the steady state's); the absolute
  counts (suppressed and opted-out contacts, abandoned calls) are scaled to the measured cohort's
  accounts, ``count × cohort accounts ÷ accounts simulated``.

Why a warm-up rather than an opening book drawn from a distribution: the state of an account on
day 0 is not only its balance and age but its payment intensity, its place on the reminder ladder,
its claim's rework round, a dispute or plan under way. Only the engine knows that joint state, so
the honest steady-state book is the one the engine itself produced — and the engine stays as it is
(it only starts its clock at −W). The price is simulating W more days of encounters.

Without a warm-up (W = 0) nothing changes: a **cold start**, a hospital that opens on day 0 with no
unpaid bills while paying the cost of care from day 1 (its cash dips, which a running hospital's
does not).
"""
from __future__ import annotations

from simlib.core.language import _, number_text

from pathlib import Path

import numpy as np

from simlib.scenario.schema import Simulation

#: aging of the book stationary within its noise after this long, on the calibrated hospital:
#: patient balances are written off 240 days after the statement, which comes 5–60 days after
#: service, so no account of the book is older than ≈ 300 days (tests/test_steady_state.py)
STATIONARY_WARM_UP_DAYS = 364


def measured(day: np.ndarray, sim: Simulation) -> np.ndarray:
    """Rows of the measurement window ``(0, horizon]`` after a warm-up — day ``k`` is ``(k − 1, k]``
    as in :mod:`simlib.scenario.liquidity`, so the cost a team accrued on the warm-up's last day,
    posted at its end (time 0), is the warm-up's — and ``[0, horizon]`` on a cold start (nothing
    happened before day 0; a flow at time 0 is day 1's)."""
    day = np.asarray(day)
    return day > 0.0 if sim.warm_up_days > 0 else day >= 0.0


def counted(receivable: np.ndarray, day: np.ndarray, cohort_receivable: np.ndarray, sim: Simulation) -> np.ndarray:
    """Rows of the money metrics (NPV, cash collected, collection cost): in the window, and of a
    receivable of the measured cohort or of none (the teams' staffed hours). The book of day 0 is
    each strategy's own, smaller where it collects faster; its collections (and a factored book's
    repayments to the factor, whose advance came before day 0) would credit a slow strategy with
    the cash a fast one banked before day 0, so they stay out of the decision."""
    rec = np.asarray(receivable)
    own = np.ones(len(rec), bool)
    attributed = rec >= 0
    own[attributed] = cohort_receivable[rec[attributed]]
    return measured(day, sim) & own


def cohort(service_day: np.ndarray, open_book: np.ndarray, sim: Simulation) -> np.ndarray:
    """Per encounter: in the measured cohort — served in ``[0, billing_window_days]``, or on the
    open book given at day 0 (never a warm-up encounter)."""
    return (service_day <= sim.billing_window_days) & ((service_day >= 0.0) | open_book)


def warm_up_encounter(service_day: np.ndarray, open_book: np.ndarray) -> np.ndarray:
    """Per encounter: served during the warm-up (before day 0, not on a given open book)."""
    return (service_day < 0.0) & ~open_book


def cold_start(sim: Simulation) -> bool:
    """No warm-up and no open book: a hospital that opens on day 0 with no unpaid bills."""
    return sim.warm_up_days <= 0 and sim.open_book_accounts == 0 and sim.open_book is None


def window_sentence(sim: Simulation) -> str:
    """One sentence for every report page: what the numbers measure."""
    horizon, window = number_text(sim.horizon_days), number_text(sim.billing_window_days)
    w = sim.warm_up_days
    if w > 0:
        return _("Measured from day 0 to day {horizon} on a hospital already running: a warm-up of "
                 "{warm_up} days before day 0, simulated under each strategy and left out of every number, "
                 "leaves on day 0 the unpaid bills that strategy keeps in its steady state, their care "
                 "already paid; rates follow the patients served from day 0 to day {window}.").format(
                     horizon=horizon, warm_up=number_text(w), window=window)
    if sim.open_book is not None:
        return _("Measured from day 0 to day {horizon}, starting from an open book of the unpaid bills "
                 "of the hospital's A/R aging report ({file}) whose care was paid "
                 "before day 0, and its actual cash; rates follow them and the patients served from day 0 "
                 "to day {window}.").format(horizon=horizon, file=Path(sim.open_book.file).name, window=window)
    if sim.open_book_accounts > 0:
        return _("Measured from day 0 to day {horizon}, starting from an open book of "
                 "{accounts} unpaid bills whose care was paid before day 0; rates follow "
                 "them and the patients served from day 0 to day {window}.").format(
                     horizon=horizon, accounts=number_text(sim.open_book_accounts), window=window)
    return _("Measured from day 0 to day {horizon} on a hospital that opens on day 0 with no unpaid "
             "bills (a cold start, no warm-up): its cash dips deeper in the first months than a running "
             "hospital's; rates follow the patients served from day 0 to day {window}.").format(
                 horizon=horizon, window=window)
