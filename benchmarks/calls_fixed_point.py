"""The called accounts as a fixed point (issue 27): does the design hold, and how fast does it converge?

Every speed target still open waits on the accounts the phone team calls: they stay on SimPy. The
design proposed at stop 35: a called account's path depends on the team only through each call's
*outcome* — granted at a moment, or given up at a moment (the patient paid meanwhile, or
``max_wait_days`` passed) —, and the team's queue depends on the accounts only through their
*requests* — when each call is asked for, its deadline (the payment day at the request, or the wait
limit) and its duration (pre-drawn). Given every outcome the paths are independent (what a NumPy
form computes); given the paths the queue is a replica of the team alone. The engine is causal (an
outcome depends only on what came before it), so "outcomes → paths → requests → queue → outcomes"
has one fixed point, the engine's run, and iterating from "every call served when asked" reaches it
— if the replica keeps SimPy's order among equal times.

This measures that before any NumPy form exists, the engine computing the paths:

1. the engine's own run (pure SimPy) records every call request and every other moment a called
   account resumes from a shared action (a dispute's end: the order of equal times depends on when
   each account last resumed);
2. **the replica**: the phone team of :mod:`simlib.world.capacities.phone_team` (its agents and
   shifts) on an environment of its own, each account a process replaying its requests and resumes
   in the engine's order, started in encounter order as the engine starts accounts; it must grant
   every call at the engine's moment: its waits, in the order granted, equal the engine's to the bit
   (and the compiled queue, :mod:`simlib.model.call_queue`, fed the same requests and resumes, must
   give the same outcomes and waits);
3. **the iteration**: the engine with each call's outcome read from a table instead of the queue
   (:meth:`~simlib.world.capacities.phone_team.PhoneTeamCapacity.ask`, ``gave_up`` and ``talk``,
   the parts of ``call`` around its wait), then the replica on the requests those paths made gives
   the next table; from "every call served when asked" until no outcome changes. The fixed point's
   ledger (every row, to the bit) and counters must be the engine's.
4. **the NumPy form** (:mod:`simlib.model.hybrid_calls`, on by default since stop 37): the same
   iteration with the NumPy model computing the paths, on the shipped scenario (its billing errors
   too: the billing team's queue joins the fixed point): CPU seconds of one world (the least of three)
   on pure SimPy, on the hybrid with the accounts a call reaches on SimPy (``ENABLED`` off) and on the hybrid with
   the fixed point (its queue replayed by the SimPy replica, then by the compiled one, which runs
   the fixed point: ``hybrid_calls.replica``), whether its ledger is pure SimPy's, and each round's
   replica CPU seconds on SimPy and compiled, the two answers compared.

    .venv/bin/python benchmarks/calls_fixed_point.py            # the shipped call strategies
    .venv/bin/python benchmarks/calls_fixed_point.py --scenario parameters/policies.yaml --strategies barrier

Results: ``calls_fixed_point.json`` and the table of benchmarks/README.md "The called accounts as a
fixed point". CPU seconds are of this process, one run each (a shared machine: ratios only).
"""
from __future__ import annotations

import argparse
import contextlib
import heapq
import json
import math
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import simpy
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simlib.levers import disputes as disputes_lever  # noqa: E402
from simlib.model import call_queue, hybrid_calls  # noqa: E402
from simlib.model.engine import World  # noqa: E402
from simlib.model.population import draw_population  # noqa: E402
from simlib.model.vectorized_rows import canonical_order  # noqa: E402
from simlib.scenario.schema import CALIBRATED_BASELINE, inherited_sections, load_scenario, scenario_from_dict  # noqa: E402
from simlib.world.capacities import phone_team  # noqa: E402
from simlib.world.resumer import Resumer  # noqa: E402

#: the shipped strategies with call steps or calling policies (scenario file, strategy)
SHIPPED = [("baseline.yaml", "calls"), ("baseline.yaml", "combined"), ("policies.yaml", "calls_calendar"),
           ("policies.yaml", "workflow"), ("policies.yaml", "barrier"), ("chile_clinic.yaml", "llamadas"),
           ("france_clinic.yaml", "relance_telephonique")]
from simlib.model.vectorized_calls import ABANDONED, GRANTED, PAID  # noqa: E402
LAST_ROWS: list[dict] = []  # the rows of the last main() (tests read them)


class Recorder:
    """What the engine's called accounts asked of the team, per account in the order it happened:
    ``("call", attempt, day, next payment day, duration)`` (the account's own clock, as the NumPy
    form records it: :class:`simlib.model.vectorized_calls.CallSteps`) and ``("resume", day)`` (a
    dispute's end)."""

    def __init__(self):
        self.by_account: dict[int, list] = {}
        self.suppressed: set = set()  # (account, attempt) granted but forbidden by the contact limits
        self.calls = 0

    def add(self, i: int, item: tuple) -> None:
        self.by_account.setdefault(i, []).append(item)
        self.calls += item[0] == "call"


@contextlib.contextmanager
def recording(rec: Recorder, table: dict | None):
    """The engine's phone team records each request; with ``table`` (``(account, attempt) ->
    (outcome, day)``; missing: granted when asked) the outcome comes from it, not from the queue."""
    real_call, real_resolve = phone_team.PhoneTeamCapacity.call, disputes_lever.Disputes._resolve

    def call(self, acct, channel, request):
        env = self.world.env
        attempt, t_req, deadline, give_up = self.ask(acct)
        m = acct.calls_attempted - 1
        rec.add(acct.i, ("call", m, acct.now, acct.payment_time(), self.duration(acct.i, attempt)))
        if table is None:  # the engine's own queue: put the attempt back and call
            acct.calls_attempted -= 1
            before = self.world.counters["suppressed_contacts"]
            yield from real_call(self, acct, channel, request)
            if self.world.counters["suppressed_contacts"] > before:
                rec.suppressed.add((acct.i, m))
            return
        outcome, day = table.get((acct.i, m), (GRANTED, t_req))
        if day > env.now:
            yield env.timeout(day - env.now)
        if outcome != GRANTED:
            self.gave_up(acct, channel, outcome == ABANDONED)
        elif self.talk(acct, channel, request, t_req, attempt) is None:
            rec.suppressed.add((acct.i, m))

    def resolve(self, acct):
        yield from real_resolve(self, acct)
        rec.add(acct.i, ("resume", self.world.env.now))

    phone_team.PhoneTeamCapacity.call, disputes_lever.Disputes._resolve = call, resolve
    try:
        yield rec
    finally:
        phone_team.PhoneTeamCapacity.call, disputes_lever.Disputes._resolve = real_call, real_resolve


def replica(sc, strategy: str, pop, rec: Recorder) -> tuple[dict, list]:
    """The phone team alone, fed with ``rec``'s requests: each call's outcome and the waits of the
    calls granted, in the order granted (the engine's wait: ``PhoneTeamCapacity.call``)."""
    cfg = sc.strategies[strategy].phone_team
    start, horizon = -float(sc.simulation.warm_up_days), sc.simulation.horizon_days
    env = simpy.Environment(initial_time=start)
    team = phone_team.PhoneTeamCapacity(SimpleNamespace(env=env, horizon=horizon, start_day=start, pop=pop), cfg)
    agents, outcomes, waits = team.agents, {}, []

    def account(i: int, items: list):
        for item in items:
            if item[0] == "resume":  # the engine's process resumes at that moment (a dispute's end)
                if item[1] > env.now:
                    back = simpy.Event(env)
                    back._ok, back._value = True, None
                    heapq.heappush(env._queue, (item[1], simpy.events.NORMAL, next(env._eid), back))
                    yield back
                continue
            day = item[2]
            if day > env.now:
                yield env.timeout(day - env.now)
            _, m, _, payment_day, duration = item
            t_req = env.now  # the engine's wait, PhoneTeamCapacity.call, on the SimPy clock
            give_up = t_req + cfg.max_wait_days
            deadline = min(payment_day, give_up)
            req = agents.request(1, watched=False)
            if req._value is simpy.events.PENDING:
                if deadline > t_req:
                    yield phone_team._FirstOf(env, req, env.timeout(deadline - t_req))
                if req._value is simpy.events.PENDING:
                    agents.cancel(req)
                    outcomes[(i, m)] = (ABANDONED if deadline >= give_up else PAID, env.now)
                    continue
            outcomes[(i, m)] = (GRANTED, env.now)
            if (i, m) in rec.suppressed:
                agents.release()
                continue
            waits.append(env.now - t_req)
            env.timeout(duration).callbacks.append(agents.release)

    for i in sorted(rec.by_account):  # the engine starts every account at the first day, in encounter order
        gen = account(i, rec.by_account[i])
        with contextlib.suppress(StopIteration):
            Resumer(gen).wait(next(gen))
    env.run(until=horizon)
    return outcomes, waits


def compiled_agrees(sc, strategy: str, rec: Recorder, outcomes: dict, waits: list) -> bool:
    """Step 2's cross-check: the compiled queue (:mod:`simlib.model.call_queue`) fed the same requests
    (a dispute's end: a row that asks nothing) gives :func:`replica`'s outcomes and waits."""
    requests, resumes = [], set()
    for i in sorted(rec.by_account):
        for k, item in enumerate(rec.by_account[i]):
            if item[0] == "resume":
                resumes.add((i, -1 - k))
                requests.append((i, -1 - k, item[1], math.inf, 0.0))
            else:
                requests.append((i, *item[1:]))
    got, team = call_queue.queue(sc.strategies[strategy].phone_team, -float(sc.simulation.warm_up_days),
                                 sc.simulation.horizon_days, requests, rec.suppressed, resumes)
    return got == outcomes and team.waits == waits


def same_ledgers(a, b) -> bool:
    oa, ob = canonical_order(a), canonical_order(b)
    return len(a) == len(b) and all(np.array_equal(getattr(a, c)[oa], getattr(b, c)[ob])
                                    for c in ("receivable", "kind", "amount", "day"))


def measure(sc, strategy: str, seed: int = 0, max_iterations: int = 30, log=print) -> dict:
    pop = draw_population(sc, seed)
    with recording(Recorder(), None) as rec:
        t = time.process_time()
        world = World(sc, strategy, pop, hybrid=False)
        engine = world.run()
        t_engine = time.process_time() - t
    truth, waits = replica(sc, strategy, pop, rec)
    row = {"strategy": strategy, "accounts": int(pop.n), "called_accounts": len(rec.by_account),
           "call_requests": rec.calls, "engine_cpu_s": t_engine,
           "replica_keeps_the_engines_order": waits == list(world.phone.waits),
           "compiled_queue_agrees": compiled_agrees(sc, strategy, rec, truth, waits), "iterations": []}
    table: dict = {}
    for k in range(max_iterations):
        with recording(Recorder(), table) as rec:
            t = time.process_time()
            fixed = World(sc, strategy, pop, hybrid=False).run()
            t_paths = time.process_time() - t
        t = time.process_time()
        new, _ = replica(sc, strategy, pop, rec)
        t_replica = time.process_time() - t
        changed = sum(new.get(key) != table.get(key) for key in set(new) | set(table))
        wrong = sum(new.get(key) != truth.get(key) for key in set(new) | set(truth))
        row["iterations"].append({"changed": changed, "differ_from_engine": wrong, "paths_cpu_s": t_paths,
                                  "replica_cpu_s": t_replica})
        log(f"  {strategy} iteration {k}: {changed} outcomes changed, {wrong} differ from the engine's "
            f"(paths {t_paths:.2f} CPU-s, replica {t_replica:.2f} CPU-s)")
        table = new
        if not changed:
            row["converged"] = True
            row["same_ledger"] = same_ledgers(engine.ledger, fixed.ledger)
            row["same_counters"] = +engine.counters == +fixed.counters
            break
    else:
        row["converged"] = row["same_ledger"] = row["same_counters"] = False
    return row


def _least(fn, runs: int = 3) -> float:
    best = math.inf
    for _ in range(runs):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def speed(sc, strategy: str, seed: int = 0) -> dict:
    """Step 4: one world's CPU seconds on pure SimPy, the hybrid as shipped and the hybrid with the
    called accounts as a fixed point (``sc`` with its billing errors) — its queue replayed by the SimPy
    replica and by the compiled one —, the fixed point's identity, and each round's replica on both
    (CPU seconds, and whether the compiled answer is the SimPy one: outcomes, waits, busy time)."""
    pop = draw_population(sc, seed)
    simpy_s = _least(lambda: World(sc, strategy, pop, hybrid=False).run())
    enabled, compiled = hybrid_calls.ENABLED, hybrid_calls.replica
    hybrid_calls.ENABLED = False  # the hybrid before the fixed point: the accounts a call reaches on SimPy
    try:
        hybrid_s = _least(lambda: World(sc, strategy, pop, hybrid=True).run())
    finally:
        hybrid_calls.ENABLED = enabled
    rounds = []

    def both(world, requests, suppressed, resumes=None):
        t = time.process_time()
        expected, team = hybrid_calls.replica_simpy(world, requests, suppressed, resumes)
        t_simpy = time.process_time() - t
        t = time.process_time()
        outcomes, records = compiled(world, requests, suppressed, resumes)
        rounds.append({"requests": len(requests), "simpy_cpu_s": t_simpy, "compiled_cpu_s": time.process_time() - t,
                       "same": (outcomes, records.waits, records.busy_days, records.last_work_day)
                       == (expected, team.waits, team.busy_days, team.last_work_day)})
        return outcomes, records

    hybrid_calls.ENABLED = True
    try:
        world = World(sc, strategy, pop, hybrid=True)  # (its first round loads the compiled queue)
        applies = world.numpy_calls is not None
        same = same_ledgers(World(sc, strategy, pop, hybrid=False).run().ledger, world.run().ledger)
        hybrid_calls.replica = both
        World(sc, strategy, pop, hybrid=True).run()
        hybrid_calls.replica = hybrid_calls.replica_simpy
        fixed_simpy_s = _least(lambda: World(sc, strategy, pop, hybrid=True).run())
        hybrid_calls.replica = compiled
        fixed_s = _least(lambda: World(sc, strategy, pop, hybrid=True).run())
    finally:
        hybrid_calls.ENABLED, hybrid_calls.replica = enabled, compiled
    return {"simpy_s": simpy_s, "hybrid_s": hybrid_s, "fixed_point_simpy_replica_s": fixed_simpy_s,
            "fixed_point_s": fixed_s, "fixed_point_applies": applies, "fixed_point_same_ledger": same,
            "rounds": rounds, "compiled_equals_simpy_replica": all(r["same"] for r in rounds) if rounds else None}


def markdown(rows: list[dict]) -> list[str]:
    out = ["| scenario | strategy | accounts | called | call requests | replica keeps the engine's order | "
           "compiled queue agrees | "
           "iterations to the fixed point (outcomes changed each) | fixed point = engine (ledger, counters) | "
           "engine CPU-s | one replica CPU-s |", "|---|---|---:|---:|---:|---|---|---|---|---:|---:|"]
    for r in rows:
        its = r["iterations"]
        replica_s = sum(i["replica_cpu_s"] for i in its) / max(1, len(its))
        out.append(f"| {r['scenario']} | {r['strategy']} | {r['accounts']:,} | {r['called_accounts']:,} | "
                   f"{r['call_requests']:,} | {r['replica_keeps_the_engines_order']} | {r['compiled_queue_agrees']} | "
                   f"{len(its) - 1 if r['converged'] else 'none in ' + str(len(its))} "
                   f"({', '.join(str(i['changed']) for i in its)}) | {r['same_ledger']}, {r['same_counters']} | "
                   f"{r['engine_cpu_s']:.2f} | {replica_s:.2f} |")
    fast = [r for r in rows if "speed" in r]
    if fast:
        out += ["", "With the scenario's billing errors, one world (CPU-s, the least of three); "
                "'hybrid as shipped': the accounts a call reaches on SimPy; the fixed point's queue replayed "
                "on SimPy, then compiled (simlib.model.call_queue), and one round's replica:", "",
                "| scenario | strategy | pure SimPy | hybrid as shipped (× SimPy) | fixed point, SimPy replica "
                "(× SimPy) | fixed point, compiled replica (× SimPy) | one replica SimPy → compiled CPU-s | "
                "compiled = SimPy replica | applies | same ledger |", "|---|---|---:|---:|---:|---:|---:|---|---|---|"]
        for r in fast:
            f = r["speed"]
            its = f["rounds"] or [{"simpy_cpu_s": math.nan, "compiled_cpu_s": math.nan}]
            one = (min(i["simpy_cpu_s"] for i in its), min(i["compiled_cpu_s"] for i in its))
            out.append(f"| {r['scenario']} | {r['strategy']} | {f['simpy_s']:.2f} | {f['hybrid_s']:.2f} "
                       f"({f['simpy_s'] / f['hybrid_s']:.2f}×) | {f['fixed_point_simpy_replica_s']:.2f} "
                       f"({f['simpy_s'] / f['fixed_point_simpy_replica_s']:.2f}×) | {f['fixed_point_s']:.2f} "
                       f"({f['simpy_s'] / f['fixed_point_s']:.2f}×) | {one[0]:.3f} → {one[1]:.4f} | "
                       f"{f['compiled_equals_simpy_replica']} | {f['fixed_point_applies']} | "
                       f"{f['fixed_point_same_ledger']} |")
    return out


#: strategies whose calls a collection policy makes (no NumPy form: they stay on SimPy)
POLICIES = ("workflow", "barrier")


def _scenario(path: Path, encounters_per_day: float | None, disputes: bool = True):
    if encounters_per_day is None and disputes:
        return load_scenario(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    base = yaml.safe_load(CALIBRATED_BASELINE.read_text(encoding="utf-8"))
    data = {**data, **{k: base[k] for k in inherited_sections(data) if k in base}}
    if encounters_per_day is not None:
        data["simulation"]["encounters_per_day"] = encounters_per_day
    if not disputes:
        data.setdefault("operations", {}).setdefault("billing_team", {})["billing_error_rate"] = 0.0
    return scenario_from_dict(data, str(path))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", help="a scenario file (default: the shipped call strategies)")
    ap.add_argument("--strategies", nargs="+", help="its strategies with calls")
    ap.add_argument("--encounters-per-day", type=float, help="a smaller (or larger) hospital")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--no-speed", action="store_true", help="skip step 4 (the NumPy form's CPU seconds)")
    args = ap.parse_args(argv)
    cases = [(Path(args.scenario), s) for s in args.strategies] if args.scenario else \
        [(ROOT / "parameters" / f, s) for f, s in SHIPPED]
    rows = []
    for path, strategy in cases:
        sc = _scenario(path, args.encounters_per_day)
        row = measure(sc, strategy, args.seed)
        row["scenario"] = path.stem
        if not args.no_speed and strategy not in POLICIES:
            row["speed"] = speed(_scenario(path, args.encounters_per_day), strategy, args.seed)
        rows.append(row)
    LAST_ROWS[:] = rows
    table = "\n".join(markdown(rows))
    print(table)
    if not args.no_write:
        (ROOT / "benchmarks" / "calls_fixed_point.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
