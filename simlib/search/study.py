"""The optuna study behind a search: screening candidates with TPE (one objective) or NSGA-II
(two), stored in a SQLite file so that an interrupted search resumes where it stopped.

Reproducibility: trials are proposed in batches of ``search.batch`` (whatever the number of
workers), each by a sampler seeded with (seed, trial number) and the study's history, and told
in trial order once the batch is simulated. A study therefore depends on the seed, the scenario
and the search settings only, and a resumed study continues the sequence an uninterrupted one
follows: the samplers keep no state outside the storage but their seed. A batch interrupted after
it was proposed is simulated on resume with the values it had; a trial interrupted while its
values were being chosen (a few milliseconds) is set aside (failed, with the user attribute
``interrupted``: no sampler reads failed trials) and proposed again under the same logical number,
with the same seed and the same trials before it, so it gets the values an uninterrupted search
gives it and the batch is completed as that search completes it (issue 21). Trial numbers in the
outputs are these logical numbers (:func:`live_trials`).
"""
from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

STUDY_FILE = "study.sqlite3"
STUDY_NAME = "strategy-search"


class SearchError(ValueError):
    """A search cannot start or continue; ``str(err)`` is one line naming the option or file."""


def identity(scenario, seed: int) -> str:
    """What a saved study must match to be resumed: the scenario and seed (not the search budget,
    nor where the simulations run)."""
    data = scenario.model_dump(mode="json")
    for key in ("workers", "scheduler"):
        data["simulation"].pop(key, None)
    data["search"] = {k: v for k, v in (data.get("search") or {}).items() if k != "budget"}
    blob = json.dumps({"scenario": data, "seed": seed}, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def open_study(directory: Path, ident: str, directions: list[str], resume: bool):
    """The study in ``directory`` (created, or with ``resume`` the saved one, which must match)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = directory / STUDY_FILE
    if resume and not path.exists():
        raise SearchError(f"--resume: no saved search in {directory} (expected {STUDY_FILE}); "
                          "run without --resume to start one")
    if not resume and path.exists():
        path.unlink()
    directory.mkdir(parents=True, exist_ok=True)
    storage = optuna.storages.RDBStorage(f"sqlite:///{path}", engine_kwargs={"connect_args": {"timeout": 60}})
    _fast_commits(storage)
    study = optuna.create_study(storage=storage, study_name=STUDY_NAME, directions=directions,
                                load_if_exists=resume)
    saved = study.user_attrs.get("identity")
    if resume and saved != ident:
        raise SearchError(f"--resume: the search saved in {directory} was made for another scenario, "
                          "search section or seed; run without --resume to start again")
    if saved is None:
        study.set_user_attr("identity", ident)
    return study


def _fast_commits(storage) -> None:
    """Write-ahead logging without a disk flush per commit (a search commits every parameter and
    every simulation: 16 ms each with a flush on this machine). The file stays consistent after a
    crash; at worst the last few commits are lost, and their trials are then simulated again."""
    from sqlalchemy import event

    def pragmas(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(storage.engine, "connect", pragmas)
    storage.engine.dispose()  # connections opened while the tables were made get the pragmas too


def trial_seed(seed: int, number: int) -> int:
    """The sampler's seed for trial ``number``: a stable function of the search's seed."""
    return int(np.random.SeedSequence([seed, number]).generate_state(1)[0])


def make_sampler(two_objectives: bool, seed: int, number: int, budget: int, population: int):
    """TPE (multivariate, constant liar) or NSGA-II, seeded for trial ``number``. Both read a
    trial's constraints (set with ``Trial.set_constraint``: feasible when every value is <= 0)."""
    import optuna

    s = trial_seed(seed, number)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if two_objectives:
            return optuna.samplers.NSGAIISampler(population_size=population, seed=s)
        return optuna.samplers.TPESampler(seed=s, multivariate=True, constant_liar=True,
                                          n_startup_trials=min(10, max(2, budget // 4)))


def screen(study, space, evaluate: Callable[[list[tuple[int, dict]]], dict[int, tuple[list[float], list[float]]]],
           budget: int, batch: int, seed: int, two_objectives: bool, bar=None) -> None:
    """Run trials until the study holds ``budget`` finished ones.

    ``evaluate([(number, values), …])`` simulates a batch and returns, per trial number, its
    objective values and constraint values (<= 0: met); a trial it leaves out (an invalid
    candidate) is told as failed.
    """
    import optuna
    from optuna.trial import TrialState

    n_params = len(space.parameter_names())
    population = max(4, batch)

    def sampler_for(number: int):
        return make_sampler(two_objectives, seed, number, budget, population)

    while True:
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            if len(t.params) != n_params:  # interrupted while its values were chosen: propose it again
                optuna.trial.Trial(study, t._trial_id).set_user_attr(INTERRUPTED, True)
                study.tell(t.number, state=TrialState.FAIL)
        live = live_trials(study)
        logical = {t.number: i for i, t in enumerate(live)}
        running = [t for t in live if t.state == TrialState.RUNNING]
        if not running and len(live) >= budget:
            return
        todo: list[tuple[int, dict]] = []
        handles = {}
        for t in running:  # proposed before an interruption: simulate them with the values they had
            todo.append((t.number, dict(t.params)))
            handles[t.number] = optuna.trial.Trial(study, t._trial_id)
        start = (logical[running[0].number] // batch) * batch if running else len(live)
        for number in range(len(live), min(start + batch, budget)):  # the rest of the batch
            study.sampler = sampler_for(number)
            trial = study.ask()
            handles[trial.number] = trial
            logical[trial.number] = number
            todo.append((trial.number, space.suggest(trial)))
        results = evaluate(todo) if todo else {}
        for number, _ in todo:
            study.sampler = sampler_for(logical[number])
            if number not in results:
                study.tell(number, state=TrialState.FAIL)
                continue
            values, constraints = results[number]
            for i, c in enumerate(constraints):
                handles[number].set_constraint(f"cap{i}", c)
            study.tell(number, values)
        if bar is not None:
            bar.update(len(todo))


INTERRUPTED = "interrupted"


def live_trials(study) -> list:
    """The study's trials in order, without those set aside because an interruption cut their
    proposal (they were proposed again); a trial's position here is its logical number."""
    return [t for t in study.get_trials(deepcopy=False) if not t.user_attrs.get(INTERRUPTED)]
