"""A strategy search from start to finish (:func:`run_search`, ``simlib search``)::

    search: section ─Space─▶ optuna trials (TPE / NSGA-II), screened on the search's own runs
        ─successive halving─▶ finalists ─▶ the scenario's replications for every hand-written
        strategy and the finalists (run_experiment, checkpointed) ─Kim–Nelson─▶ the selection
        ─▶ best_strategy.yaml, pareto_front.csv, search.json, results/, the report page

Every stage keeps what it computed in ``<out>/<scenario>/search/`` (the optuna study in SQLite,
with every simulation's metrics; the final runs' checkpoint), so ``resume=True`` continues an
interrupted search to the result an uninterrupted one gives.
"""
from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import numpy as np

from simlib.search.evaluate import Evaluator
from simlib.search.halving import halving_cost, rung_replications, search_replications, successive_halving
from simlib.search.objectives import Goal, constraint_values, goal_for, ranked, score
from simlib.search.selection import kim_nelson
from simlib.search.space import Candidate, Space
from simlib.search.study import SearchError, identity, open_study, screen

KN_BATCH = 5
FINAL_CHECKPOINT = "final_runs"


@dataclasses.dataclass
class SearchRun:
    """Everything the outputs need: the scenario, settings, goal, candidates and the final runs."""

    scenario: object
    settings: object
    source: str
    directory: Path
    seed: int
    goal: Goal
    finalists: list[Candidate]
    final: object  # Results of the scenario's strategies and the finalists on its replications
    finalist_names: dict[str, str]  # candidate key -> strategy name in ``final``
    best_hand_written: str | None
    selection: object
    found: Candidate
    found_name: str
    history: list[dict]
    trials: list[dict]
    simulations: int  # strategy-runs the search simulated (all sessions; the final runs aside)
    elapsed_seconds: float  # all sessions of a resumed search
    workers: int
    scheduler: str | None
    timings: dict = dataclasses.field(default_factory=dict)  # seconds per stage, and simulations


def _progress(total: int, enabled: bool, desc: str):
    from tqdm.auto import tqdm
    return tqdm(total=total, disable=not enabled, desc=desc, unit="sim")


def run_search(scenario, *, out: str | Path = "reports", **options) -> SearchRun:
    """Search the strategy space of ``scenario``'s ``search:`` section; write its outputs under
    ``<out>/<scenario>/search/`` (and the report page with ``page``). ``out`` is held by one writer
    at a time (:mod:`simlib.run.folder_lock`): a second search, run or report into it is refused."""
    from simlib.run.folder_lock import writer_lock

    with writer_lock(out, "simlib search"):
        return _run_search(scenario, out=out, **options)


def _run_search(scenario, *, budget: int | None = None, seed: int | None = None, workers: int | None = None,
                scheduler: str | None = None, out: str | Path = "reports", resume: bool = False,
                progress: bool = False, page: bool = True, log=None) -> SearchRun:
    from simlib.scenario.schema import load_scenario
    from simlib.core.paths import slug
    from simlib.run.options import resolve

    started = time.perf_counter()
    log = log or (lambda *_: None)
    source = str(scenario) if isinstance(scenario, (str, Path)) else getattr(scenario, "name", "scenario")
    sc = load_scenario(scenario) if isinstance(scenario, (str, Path)) else scenario
    if sc.search is None:
        raise SearchError(f"{source}: the scenario has no search: section; add one (docs/search.md)")
    from simlib.scenario.schema import ScenarioError
    from simlib.scenario.search_section import search_problems
    if search_problems(sc):
        raise ScenarioError(source, search_problems(sc))
    settings = sc.search if budget is None else sc.search.model_copy(update={"budget": int(budget)})
    if settings.budget < 1:
        raise SearchError(f"--budget: expected a whole number >= 1; found {settings.budget}")
    opts = resolve(sc, seed=seed, workers=workers, scheduler=scheduler, source=source,
                   labels={"seed": "--seed", "workers": "--workers", "scheduler": "--scheduler"})
    from simlib.run import budget as resources
    resources.check(sc, sc.simulation.replications, opts.workers, local=not opts.scheduler,
                    source=source)  # the final runs' memory, before any time is spent
    name = Path(source).stem if isinstance(scenario, (str, Path)) else sc.name
    directory = Path(out) / slug(name) / "search"
    from simlib.core.atomic import clean_leftovers
    clean_leftovers(directory)  # a publication a crash cut short: its staging folder, or the old folder put back
    space = Space(sc, settings)
    full = sc.simulation.replications
    study = open_study(directory, identity(sc, opts.seed), ["maximize"] + (["minimize"] if settings.burden else []),
                       resume)
    evaluator = Evaluator(sc, opts.seed, opts.workers, opts.scheduler, store=study.set_user_attr)
    evaluator.load(study.user_attrs)
    state: dict = {"goal": None}
    screening_reps = search_replications(settings.screening_replications)
    share = settings.screening_accounts_share

    def goal() -> Goal:
        if state["goal"] is None:
            state["goal"] = goal_for(settings, next(iter(evaluator.cache.values())).keys())
        return state["goal"]

    bar = _progress(settings.budget * settings.screening_replications, progress, "search: screening")

    def evaluate(todo):
        cands = {n: space.candidate(v) for n, v in todo}
        valid = {n: c for n, c in cands.items() if _valid(sc, c)}
        evaluator.run(valid.values(), screening_reps, share, bar=bar)
        study.set_user_attr("elapsed_seconds", before + time.perf_counter() - started)
        out_values = {}
        for n, c in valid.items():
            s = score(goal(), evaluator.metrics(c, screening_reps, share))
            out_values[n] = (s.values(), constraint_values(goal(), s))
        return out_values

    timings: dict = {}
    mark = [time.perf_counter(), 0]
    before = float(study.user_attrs.get("elapsed_seconds", 0.0))  # earlier sessions of a resumed search

    def lap(stage: str) -> None:
        now = time.perf_counter()
        timings[f"{stage}_seconds"] = now - mark[0]
        timings[f"{stage}_simulations"] = evaluator.simulations - mark[1]
        mark[:] = [now, evaluator.simulations]
        study.set_user_attr("elapsed_seconds", before + now - started)

    log(f"{source}: screening {settings.budget} candidates ({settings.screening_replications} run(s) each)…")
    try:
        screen(study, space, evaluate, settings.budget, settings.batch, opts.seed, settings.burden is not None)
    finally:
        bar.close()
    lap("screening")
    screened = _screened(study, space)
    if not screened:
        raise SearchError(f"{source}: no valid candidate among {settings.budget} trials; check search.variables")
    bar = _progress(halving_cost(len(screened), settings, full), progress, "search: halving")
    try:
        finalists, history = successive_halving(screened, evaluator, goal(), settings, full, bar=bar)
    finally:
        bar.close()
    lap("halving")
    log(f"{source}: {len(finalists)} finalists; running every strategy on the scenario's {full} replications…")
    final, names = _final_runs(sc, finalists, opts, directory, resume, progress)
    lap("final_runs")
    timings["final_runs_simulations"] = len(final.scenario.strategies) * full
    wide = final.metrics[final.metrics["metric"] == goal().objective].pivot(
        index="replication", columns="strategy", values="value")
    per_run = {s: [dict(zip(g["metric"], g["value"])) for _, g in df.groupby("replication", sort=True)]
               for s, df in final.metrics.groupby("strategy", sort=False)}
    feasible = {s for s, runs in per_run.items() if score(goal(), runs).feasible}
    hand = {s: float(wide[s].mean()) for s in sc.strategies if s in feasible}
    best_hand = max(hand, key=lambda s: (hand[s], -list(sc.strategies).index(s))) if hand else None
    contenders = [names[c.key] for c in finalists if names[c.key] in feasible] + ([best_hand] if best_hand else [])
    if not any(names[c.key] in contenders for c in finalists):
        raise SearchError(f"{source}: no finalist meets the constraints on the scenario's {full} replications "
                          f"({_caps_words(goal())}); widen the search or relax search.constraints")
    by_name = {names[c.key]: c for c in finalists}
    hand_cands = {s: Candidate({}, sc.strategies[s].model_dump(mode="json"), f"hand_{s}") for s in sc.strategies}

    def more(contenders_now, start, stop):
        cands = [by_name.get(n) or hand_cands[n] for n in contenders_now]
        evaluator.run(cands, range(start, stop))
        return {n: [m[goal().objective] for m in evaluator.metrics(c, range(start, stop))]
                for n, c in zip(contenders_now, cands)}

    log(f"{source}: selecting among {len(contenders)} (Kim–Nelson, δ = ${settings.indifference:,.0f})…")
    selection = kim_nelson({n: wide[n].to_numpy() for n in contenders}, more, settings.indifference,
                           settings.confidence, KN_BATCH, max(settings.selection_replications_max, full))
    lap("selection")
    search_names = [n for n in contenders if n in by_name]
    found_name = max(search_names, key=lambda n: (selection.means[n], -search_names.index(n)))
    _check_hard_constraints(space, final.scenario.strategies[found_name], source)
    run = SearchRun(sc, settings, source, directory, opts.seed, goal(), finalists, final, names, best_hand,
                    selection, by_name[found_name], found_name, history, _trial_rows(study, space),
                    len(evaluator.cache), before + time.perf_counter() - started, opts.workers, opts.scheduler,
                    timings)
    from simlib.search.outputs import write_outputs
    write_outputs(run, page=page, log=log)  # the folder is replaced: the study is not written after this
    timings["outputs_seconds"] = time.perf_counter() - mark[0]
    import shutil
    shutil.rmtree(directory / FINAL_CHECKPOINT, ignore_errors=True)  # published in results/
    return run


def _check_hard_constraints(space: Space, strategy, source: str) -> None:
    """The returned strategy carries the regulator's contact limits (the engine enforces them on
    every contact) and its phone team is within the search's bounds: a guard, never expected to fire."""
    limits = space.settings.contact_limits or space.scenario.strategies[space.settings.start_from].contact_limits
    if strategy.contact_limits != limits:
        raise SearchError(f"{source}: internal error: the strategy found lost the contact limits {limits}")
    agents = next((v for v in space.settings.variables if v.path.endswith("phone_team.agents")), None)
    if agents is not None and strategy.phone_team is not None and not agents.low <= strategy.phone_team.agents <= agents.high:
        raise SearchError(f"{source}: internal error: the phone team of the strategy found is outside "
                          f"[{agents.low:g}, {agents.high:g}]")


def _valid(sc, cand: Candidate) -> bool:
    """Whether the candidate is a valid strategy of the scenario (cross-lever rules included)."""
    from simlib.scenario.schema import ScenarioError, scenario_from_dict

    data = sc.model_dump(mode="json")
    data.update(search=None, strategies={cand.name: dict(cand.data, baseline=True)})
    try:
        scenario_from_dict(data, "candidate")
    except ScenarioError:
        return False
    return True


def _screened(study, space: Space) -> list[Candidate]:
    """Distinct candidates of the finished trials, in trial order."""
    from optuna.trial import TrialState

    seen, out = set(), []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        cand = space.candidate(dict(t.params))
        if cand.key not in seen:
            seen.add(cand.key)
            out.append(cand)
    return out


def _trial_rows(study, space: Space) -> list[dict]:
    from simlib.search.study import live_trials

    rows = []
    for number, t in enumerate(live_trials(study)):  # logical numbers: as an uninterrupted search
        row = {"trial": number, "state": t.state.name.lower()}
        values = t.values or []
        row["objective"] = values[0] if values else math.nan
        row["burden"] = values[1] if len(values) > 1 else math.nan
        if len(t.params) == len(space.parameter_names()):
            row["candidate"] = space.candidate(dict(t.params)).key
        row.update({f"value:{k}": v for k, v in t.params.items()})
        rows.append(row)
    return rows


def _final_runs(sc, finalists: list[Candidate], opts, directory: Path, resume: bool, progress: bool):
    """Every hand-written strategy and every finalist on the scenario's replications (checkpointed)."""
    from simlib.run.experiment import run_experiment
    from simlib.scenario.schema import scenario_from_dict

    data = sc.model_dump(mode="json")
    data["search"] = None
    names = {}
    for i, cand in enumerate(finalists, start=1):
        name = f"search_finalist_{i}"
        names[cand.key] = name
        data["strategies"][name] = dict(cand.data, label=f"Search finalist {i}", baseline=False)
    final_sc = scenario_from_dict(data, "search finalists")
    res = run_experiment(final_sc, seed=opts.seed, workers=opts.workers, scheduler=opts.scheduler,
                         progress=progress, checkpoint=directory / FINAL_CHECKPOINT, resume=resume,
                         check_resources=False)
    return res, names


def _caps_words(goal: Goal) -> str:
    words = [f"{m} ≤ {cap:g}" for m, cap in goal.caps]
    if goal.envelope:
        words.append("within the ranges hospitals have reported (search.constraints.within_reported_ranges)")
    return ", ".join(words) or "no caps"


def per_replication(final, strategy: str, metric: str) -> np.ndarray:
    rows = final.metrics[(final.metrics["strategy"] == strategy) & (final.metrics["metric"] == metric)]
    return rows.sort_values("replication")["value"].to_numpy()


__all__ = ["SearchError", "SearchRun", "per_replication", "ranked", "rung_replications", "run_search"]
