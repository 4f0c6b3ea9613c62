"""The hybrid engine (issue 27): accounts that can never meet a shared capacity run in NumPy.

Per strategy and world, :func:`numpy_accounts` is a boolean mask of the encounters whose patient
balance :mod:`simlib.model.vectorized` simulates instead of a SimPy account: the strategy lies in
the NumPy model's subset once shared capacities are left aside (every active lever has a NumPy
form, no collection policy listens to contacts), and the account can never meet a capacity —

- no call step whose static targeting (score band, payers, balance floor) can select it: the
  balance it is tested on is the one the engine schedules the ladder with — the bill less the
  deposit kept, plus a dispute's overcharge, less presumptive charity care
  (:func:`~simlib.model.vectorized_deposit.balance_at_schedule`) —, and balances only fall after;
- its dispute (the billing team's queue), if it has one, runs in NumPy: when every disputed account
  runs there, the queue runs apart (:func:`~simlib.model.hybrid_disputes.run_disputes`); when some
  stay on SimPy (a call step may select them, the engine keeps them), the queue stays on SimPy and
  the NumPy accounts' disputes join it by a process of the team's work alone
  (:func:`~simlib.model.hybrid_disputes.team_work`); a strategy whose disputes have no NumPy form
  (:func:`~simlib.model.vectorized_disputes.disputes_in_numpy`) keeps its disputed accounts on SimPy;
- a secondary payer's denial passes its share to the patient before the statement: the account
  starts from the bill's rest plus that share (:mod:`simlib.model.vectorized_secondary`);
- no payer found by coverage discovery (the world re-bills the encounter before the run);
- a billing or claims quality investment (:mod:`simlib.levers.quality`) changes only what the world
  derives before the run: the accounts take the world's statement lag, one per encounter, and the
  disputes it leaves stay on SimPy;
- no legal queue: that lever has no NumPy form, so its strategies stay on SimPy (a collection
  agency has no capacity: :mod:`simlib.model.vectorized_agency`; a payment plan has a NumPy form too:
  :mod:`simlib.model.vectorized_plans`).

The world still books every encounter's bills, claims and what levers take at service, but for
the deposit (:mod:`simlib.model.vectorized_deposit` asks those accounts for theirs, and refunds it):
:func:`numpy_accounts` makes the deposit's and financial assistance's ``at_service`` hooks skip
them (and, beside a deposit, leaves a dispute's overcharge to the NumPy model:
:func:`~simlib.model.hybrid_disputes.overcharge_in_numpy`); it does not start those patient accounts.
After the SimPy run, :func:`run_numpy_accounts` simulates
them, sets their open balances, adds their counters and returns their ledger rows (with their days
and kinds), which the world appends to its own before the conservation check. Every random value
is pre-drawn per account (:mod:`simlib.model.population`), so the paths are the engine's.

The default engine (issue 27): ``SIMLIB_ENGINE=simpy`` (or ``World(..., hybrid=False)``) runs every
account on SimPy; a traced run stays all-SimPy. Identity with the pure engine: ``tests/test_hybrid.py``
(every ledger row, cent and payment day to the last bit: the NumPy forms take their exponentials,
logarithms and powers from :mod:`simlib.core.scalar_math`, Python's ``math``, as the SimPy engine
does; metrics summed over the same rows in another order may differ in the last bit). A run's tasks carry the engine of
the process that started them (:func:`on_engine`), so workers anywhere use that one.
"""
from __future__ import annotations

import contextvars
import os
from typing import Any, Callable

import numpy as np

from simlib.core.ledger import Ledger
from simlib.core.settings import ScenarioError
from simlib.model import vectorized
from simlib.model import hybrid_calls
from simlib.model.hybrid_calls import Refused, call_outcomes, calls_in_numpy
from simlib.model.hybrid_disputes import overcharge_in_numpy, run_disputes, team_ends
from simlib.model.population_rows import PopulationRows
from simlib.model.vectorized_disputes import disputes_in_numpy
from simlib.model.vectorized_deposit import balance_at_schedule
from simlib.model.vectorized_rows import concatenate
from simlib.model.vectorized_secondary import passed_cents
from simlib.model.vectorized_offers import Charity

#: the environment variable that chooses the engine: ``hybrid`` (default) or ``simpy``
ENGINE_VARIABLE = "SIMLIB_ENGINE"
ENGINES = ("hybrid", "simpy")
DEFAULT_ENGINE = "hybrid"

#: the engine of the task running in this thread (set by :func:`on_engine`; None: as the environment says)
_task_engine: contextvars.ContextVar[str | None] = contextvars.ContextVar("simlib_engine", default=None)


def engine_name() -> str:
    """The engine this process runs: a task's (:func:`on_engine`), else ``SIMLIB_ENGINE``'s, else
    the default (an unknown value: a :class:`~simlib.core.settings.ScenarioError`, one line and exit
    code 2 on the command line)."""
    chosen = _task_engine.get()
    if chosen is not None:
        return chosen
    value = os.environ.get(ENGINE_VARIABLE, DEFAULT_ENGINE).strip().lower() or DEFAULT_ENGINE
    if value not in ENGINES:
        raise ScenarioError("environment", [f"{ENGINE_VARIABLE}={value!r}: expected one of {', '.join(ENGINES)}"])
    return value


def hybrid_requested() -> bool:
    """Whether this process runs the hybrid engine (:func:`engine_name`)."""
    return engine_name() == "hybrid"


def on_engine(engine: str, fn: Callable[[Any], Any], task: Any) -> Any:
    """``fn(task)`` on ``engine``: how a task sent to a worker (a Dask cluster's, whose environment
    is its own) runs on the engine of the process that sent it."""
    token = _task_engine.set(engine)
    try:
        return fn(task)
    finally:
        _task_engine.reset(token)


def numpy_accounts(world) -> np.ndarray | None:
    """The encounters of ``world`` whose patient balance runs in NumPy (``None``: none can); the
    world's service hooks whose work the NumPy model does for them skip them from now on."""
    sc, st, pop = world.sc, world.st, world.pop
    world.numpy_disputes, world.numpy_calls, world.calls_fixed = False, None, None
    if vectorized.capacity_free_problems(sc, world.strategy_name, per_account=True) or world.event_hooks:
        return None
    passed = passed_cents(world)  # a secondary's denial: the account starts with its share too
    owed = pop.patient_cents > 0 if passed is None else (pop.patient_cents > 0) | (passed > 0)
    mask = owed.copy()
    # a lever that re-bills an encounter before the run (coverage discovery: a payer found) leaves it
    # to the engine: the NumPy model reads the population's payer, bill day and patient balance
    bill_day = np.asarray(world.bill_day, dtype=float)
    mask &= (np.asarray(world.payer_index) == pop.payer) & (np.asarray(world.patient_cents) == pop.patient_cents) \
        & ((bill_day == pop.bill_day) | (np.isnan(bill_day) & np.isnan(pop.bill_day)))
    calls = [step for step in st.ladder if sc.channels[step.channel].kind == "call"]
    over = world.levers["price_estimate"].overcharge if "price_estimate" in world.levers else None
    usd = balance_at_schedule(sc, st, pop, Charity(sc, st, pop), passed, over) / 100.0 if calls else None
    selected = np.zeros(pop.n, bool)
    for step in calls:
        t = step.target
        chosen = (t.score_min <= pop.score_pct) & (pop.score_pct <= t.score_max) & (usd >= t.balance_min)
        if t.payers is not None:
            chosen &= np.isin(pop.payer, [pop.payer_names.index(p) for p in t.payers])
        selected |= chosen
    disputes = world.levers.get("price_estimate")
    disputed = None if disputes is None else ~np.isnan(np.asarray(disputes.offset, dtype=float)) & owed
    if not _calls_as_fixed_point(world, mask, selected, disputed):
        if disputes is not None:  # the disputes run in NumPy when every disputed account does (hybrid_disputes)
            if disputes_in_numpy(sc, st) and not (disputed & ~mask).any():
                world.numpy_disputes = bool(disputed.any())
            elif disputes_in_numpy(sc, st, team_on_simpy=True):  # others on SimPy: the billing team's queue
                mask &= ~(disputed & selected)  # there too (hybrid_disputes.team_work); a call may reach these
                world.numpy_disputes = "team on SimPy" if (disputed & mask).any() else False
            else:
                mask &= ~disputed
        if (selected & mask).any():  # a call step may select them: those a call reaches stay on SimPy
            mask &= ~_called(world, selected & mask)
    if not mask.any():
        world.numpy_disputes = False
        return None
    if world.numpy_disputes == "team on SimPy":  # the day each joins the team's queue, before the run
        world.dispute_day, world.dispute_done = team_days(world, mask), {}
    overcharge_in_numpy(world, mask)  # beside a deposit: billed on what it leaves, by the NumPy model
    _skip_at_service(world, mask)
    return mask


def _calls_as_fixed_point(world, mask: np.ndarray, selected: np.ndarray, disputed: np.ndarray | None) -> bool:
    """Whether the accounts a call step may select run in NumPy, the phone team's queue (and the
    billing team's, every disputed account then running in NumPy) a fixed point
    (:mod:`simlib.model.hybrid_calls`), found now: ``world.calls_fixed`` holds it. False where it
    does not apply or the fixed point meets a path the NumPy form does not follow."""
    sc, st = world.sc, world.st
    if not (hybrid_calls.ENABLED and (selected & mask).any() and calls_in_numpy(world, selected, mask)):
        return False
    days = None
    if disputed is not None and disputed.any():
        if not disputes_in_numpy(sc, st, team_on_simpy=True) or (disputed & ~mask).any():
            return False
        if st.agency is not None and (disputed & selected).any():  # a dispute's pause moves calls: refused
            return False  # beside an agency (vectorized_calls.CallSteps.move), known before any round
        world.numpy_disputes, days = True, np.full(world.pop.n, np.nan)
        for rows, v in _blocks(world, np.flatnonzero(disputed), BLOCK_ACCOUNTS, probe_calls=True, probe_disputes=True):
            days[rows] = v.disputes_raised  # as if no call's wait delayed them: the fixed point's start
    try:
        world.calls_fixed = call_outcomes(world, selected & mask, days)
    except Refused:
        world.numpy_disputes = False
        return False
    world.numpy_calls = selected & mask
    return True


def _called(world, candidates: np.ndarray) -> np.ndarray:
    """The ``candidates`` a call step would call (:mod:`simlib.model.vectorized_calls`): a probe run
    of the NumPy model on them alone, before the SimPy run, in blocks of :data:`BLOCK_ACCOUNTS`."""
    called = np.zeros(candidates.size, bool)  # by encounter
    for rows, v in _blocks(world, np.flatnonzero(candidates), BLOCK_ACCOUNTS, probe_calls=True):
        called[rows] = v.called
    return called


def _blocks(world, encounters: np.ndarray, block_accounts: int, probe_calls: bool = False,
            probe_disputes: bool = False, dispute_ends: np.ndarray | None = None, calls: dict | None = None,
            dispute_raised: np.ndarray | None = None):
    """The NumPy model's runs of ``encounters`` in blocks: (the block's encounters, its result);
    ``calls``: each call's outcome by (encounter, attempt) (:mod:`simlib.model.hybrid_calls`)."""
    lag = world.statement_lag_days  # one per encounter where a quality investment shortened it
    rate = world.billing_error_rate if world.numpy_disputes else None
    passed = passed_cents(world)
    for start in range(0, encounters.size, block_accounts):
        rows = encounters[start:start + block_accounts]
        local = None if calls is None else {g: j for j, g in enumerate(rows.tolist())}
        yield rows, vectorized.simulate(world.sc, world.strategy_name, PopulationRows(world.pop, rows),
                                        accounts=np.ones(rows.size, bool), probe_calls=probe_calls,
                                        statement_lag_days=lag[rows] if np.ndim(lag) else lag,
                                        billing_error_rate=rate[rows] if np.ndim(rate) else rate,
                                        probe_disputes=probe_disputes,
                                        dispute_ends=None if dispute_ends is None else dispute_ends[rows],
                                        dispute_raised=None if dispute_raised is None else dispute_raised[rows],
                                        passed_cents=None if passed is None else passed[rows],
                                        call_outcomes=None if calls is None else
                                        {(local[g], m): v for (g, m), v in calls.items() if g in local})


#: the levers whose ``at_service`` hook the NumPy model does for its accounts: the deposit, the
#: presumptive screening's refund of a deposit that took the whole balance, a targeted offer's scoring
_AT_SERVICE_IN_NUMPY = ("deposit", "fap_screening", "targeted_offer")


def _skip_at_service(world, mask: np.ndarray) -> None:
    """Wrap the service hooks of :data:`_AT_SERVICE_IN_NUMPY` so they leave the masked encounters'
    balances as they are (the hook of another lever, a price estimate's cost, still runs)."""
    ours = [world.levers[key] for key in _AT_SERVICE_IN_NUMPY if key in world.levers]
    in_numpy = mask.tolist()

    def skipping(hook):
        def at_service(i: int, r: int, day: float, balance: int) -> int:
            return balance if in_numpy[i] else hook(i, r, day, balance)
        at_service.skips_numpy_accounts = True  # nothing to do on them in bulk (simlib.model.hybrid_bills)
        return at_service
    world.service_hooks = [skipping(h) if any(getattr(h, "__self__", None) is lv for lv in ours) else h
                           for h in world.service_hooks]


#: accounts the NumPy model simulates at once: its arrays hold one block of them (≈ 600 bytes an
#: account while it runs), so a large hospital's peak memory does not grow with them (issue 27)
BLOCK_ACCOUNTS = 250_000


def dispute_ends(world, mask: np.ndarray, block_accounts: int | None = None) -> np.ndarray | None:
    """When the NumPy model runs the disputes (``world.numpy_disputes``): the day each is resolved
    (NaN: none, or not by the horizon) — a probe run of the disputed accounts finds the day each is
    raised, then the billing team's queue (:mod:`simlib.model.hybrid_disputes`) runs on them."""
    if not world.numpy_disputes:
        return None
    if world.numpy_disputes == "team on SimPy":  # the team worked on SimPy
        return team_ends(world)
    offset = np.asarray(world.levers["price_estimate"].offset, dtype=float)
    raised = np.full(world.pop.n, np.nan)
    for rows, v in _blocks(world, np.flatnonzero(mask & ~np.isnan(offset)), block_accounts or BLOCK_ACCOUNTS,
                           probe_disputes=True):
        raised[rows] = v.disputes_raised
    return run_disputes(world, raised)


def model_inputs(world, mask: np.ndarray, rows: np.ndarray | None = None) -> dict:
    """What the NumPy model is given beside the population for the world's NumPy accounts ``mask``
    (tests, the benchmarks' NumPy limit): the disputes' days and each call's outcome, on the whole
    population, or on its ``rows`` (a :class:`~simlib.model.population_rows.PopulationRows` of them)."""
    out: dict = {}
    if world.calls_fixed is not None:
        calls, disputes = world.calls_fixed
        out["call_outcomes"] = calls
        if disputes is not None:
            out.update(billing_error_rate=world.billing_error_rate, dispute_ends=disputes.ends,
                       dispute_raised=disputes.raised)
    elif world.numpy_disputes:
        out.update(billing_error_rate=world.billing_error_rate, dispute_ends=dispute_ends(world, mask))
    if rows is None:
        return out
    local = {g: j for j, g in enumerate(rows.tolist())}
    return {key: {(local[g], m): v for (g, m), v in value.items() if g in local} if key == "call_outcomes" else
            value[rows] if np.ndim(value) else value for key, value in out.items()}


def team_days(world, mask: np.ndarray, block_accounts: int | None = None) -> list[float]:
    """The account's own day of the dispute of each encounter of ``mask`` (NaN: none, or not before
    the horizon): a probe run of its disputed accounts (the billing team's work then runs on SimPy)."""
    offset = np.asarray(world.levers["price_estimate"].offset, dtype=float)
    day = np.full(world.pop.n, np.nan)
    for rows, v in _blocks(world, np.flatnonzero(mask & ~np.isnan(offset)), block_accounts or BLOCK_ACCOUNTS,
                           probe_disputes=True):
        day[rows] = v.disputes_raised
    return day.tolist()


def run_numpy_accounts(world, mask: np.ndarray, block_accounts: int | None = None) -> Ledger:
    """Simulate the patient balances of ``mask`` in NumPy after the world's SimPy run, in blocks of
    ``block_accounts`` (default :data:`BLOCK_ACCOUNTS`) encounters
    (:class:`~simlib.model.population_rows.PopulationRows`: every
    encounter's path, rows and cents are the same in any block): their open balances go to
    ``world.open_cents``, their counters to ``world.counters``; returns their rows, block by block."""
    open_cents, ledgers = world.open_cents, []
    block_accounts = block_accounts or BLOCK_ACCOUNTS
    calls, raised = None, None
    if getattr(world, "numpy_calls", None) is not None:  # the fixed point found before the run
        calls, disputes = world.calls_fixed
        ends, raised = (None, None) if disputes is None else (disputes.ends, disputes.raised)
    else:
        ends = dispute_ends(world, mask, block_accounts)
    for rows, v in _blocks(world, np.flatnonzero(mask), block_accounts, dispute_ends=ends, calls=calls,
                           dispute_raised=raised):
        for i, cents in zip(rows.tolist(), v.open_cents.tolist()):
            open_cents[2 * i + 1] = cents
        world.counters.update({k: n for k, n in v.counters.items() if n})
        ledger = v.rows
        del v
        ledgers.append(Ledger(receivable=2 * rows[ledger.receivable // 2] + 1, day=ledger.day, kind=ledger.kind,
                              amount=ledger.amount))
    return ledgers[0] if len(ledgers) == 1 else concatenate(*ledgers)
