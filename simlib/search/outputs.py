"""What a search leaves in ``<out>/<scenario>/search/``:

* ``best_strategy.yaml`` — the strategy found, a block to paste under ``strategies:`` (it
  validates as it is; a test loads the scenario with it added);
* ``front_strategies.yaml`` and ``pareto_front.csv`` — with two objectives, every strategy on the
  front (objective, burden and the settings in words);
* ``trials.csv`` — every screened candidate: its values and screening score;
* ``search.json`` — the settings, the rungs, the finalists and the final selection, read by the
  report page;
* ``results/`` — the hand-written strategies and the one found on the scenario's replications (a
  result directory as ``simlib run`` writes, which the page and ``Results.load`` read);
* ``strategy_search.html`` — the report page (:mod:`simlib.search.page`), listed in the index.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import os

import pandas as pd
import yaml

from simlib.core.atomic import atomic_write_text
from simlib.core.csv_cells import write_csv
from simlib.levers.base import describe_strategy
from simlib.search.objectives import front_ranks, score

BEST_FILE, FRONT_FILE, FRONT_YAML, TRIALS_FILE, SUMMARY_FILE = (
    "best_strategy.yaml", "pareto_front.csv", "front_strategies.yaml", "trials.csv", "search.json")
RESULTS_DIR = "results"


class _Dumper(yaml.SafeDumper):
    """Short lists and small mappings on one line (``- {day: 7, channel: sms}``)."""


def _represent_dict(dumper, data):
    flow = len(data) <= 6 and all(not isinstance(v, (dict, list)) or not v for v in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


def _represent_list(dumper, data):
    flow = all(not isinstance(v, (dict, list)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)


def strategy_block(run, data: dict, label: str, description: str) -> dict:
    """The candidate as a strategy block: validated by the scenario's model, defaults left out."""
    model = type(run.scenario.strategies[run.settings.start_from])
    st = model.model_validate(dict(data, label=label, description=description, baseline=False))
    return st.model_dump(mode="json", exclude_defaults=True)


def found_description(run, data: dict) -> str:
    """The found strategy in words, and where it comes from."""
    model = type(run.scenario.strategies[run.settings.start_from])
    words = describe_strategy(model.model_validate(dict(data, baseline=False)))
    return (f"Found by the strategy search from the template '{run.settings.start_from}' "
            f"({run.settings.budget} candidates, seed {run.seed}): {words}.")


def _yaml_text(blocks: dict, header: list[str]) -> str:
    body = yaml.dump(blocks, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return "".join(f"# {line}\n" for line in header) + body


def _json_safe(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def result_name(run) -> str:
    """The found strategy's name in ``results/``: ``search.name``, or ``<name>_new`` when the file
    already has a strategy of that name (a block pasted from an earlier search)."""
    name = run.settings.name
    return name if name not in run.scenario.strategies else f"{name}_new"


def comparison_results(run):
    """The final runs restricted to the hand-written strategies and the one found (named
    :func:`result_name`, labelled ``search.label``), with a scenario that holds exactly those."""
    from simlib.scenario.schema import scenario_from_dict

    final, name = run.final, result_name(run)
    data = run.scenario.model_dump(mode="json")
    data["search"] = None
    block = strategy_block(run, run.found.data, run.settings.label, found_description(run, run.found.data))
    data["strategies"] = {**data["strategies"], name: block}
    keep = list(run.scenario.strategies) + [run.found_name]

    def cut(table: pd.DataFrame) -> pd.DataFrame:
        out = table[table["strategy"].isin(keep)].copy()
        out["strategy"] = out["strategy"].replace({run.found_name: name})
        return out.reset_index(drop=True)

    tables = {f.name: cut(getattr(final, f.name)) for f in dataclasses.fields(final)
              if isinstance(getattr(final, f.name), pd.DataFrame) and "strategy" in getattr(final, f.name)}
    return dataclasses.replace(final, scenario=scenario_from_dict(data, run.source), **tables)


def summary(run) -> dict:
    """``search.json``: what the page says about the search, beyond the result tables."""
    s = run.settings
    finalists = []
    for i, cand in enumerate(run.finalists, start=1):
        name = run.finalist_names[cand.key]
        runs = _runs_of(run, name)
        sc = score(run.goal, runs)
        finalists.append({"name": name, "rank": i, "key": cand.key, "values": cand.values,
                          "words": found_description(run, cand.data).split(": ", 1)[1].rstrip("."),
                          "objective": sc.objective, "burden": sc.burden, "feasible": sc.feasible,
                          "excess": list(sc.excess), "outside_envelope": sc.outside})
    return _json_safe({
        "scenario": run.scenario.name, "source": os.path.basename(run.source), "seed": run.seed,
        "created": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "settings": s.model_dump(mode="json"),
        "goal": {"objective": run.goal.objective, "burden": run.goal.burden,
                 "caps": [[m, c] for m, c in run.goal.caps], "within_reported_ranges": run.goal.envelope},
        "trials": len(run.trials), "trials_failed": sum(1 for t in run.trials if t["state"] != "complete"),
        "distinct_candidates": len({t.get("candidate") for t in run.trials if t["state"] == "complete"}),
        "rungs": run.history, "finalists": finalists, "best_hand_written": run.best_hand_written,
        "found": {"name": result_name(run), "finalist": run.found_name, "key": run.found.key, "values": run.found.values},
        "selection": run.selection.to_dict(), "simulations": run.simulations,
        "elapsed_seconds": run.elapsed_seconds, "workers": run.workers, "scheduler": run.scheduler,
        "timings": run.timings,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    })


def _runs_of(run, strategy: str) -> list[dict]:
    m = run.final.metrics[run.final.metrics["strategy"] == strategy]
    return [dict(zip(g["metric"], g["value"])) for _, g in m.groupby("replication", sort=True)]


def front_table(run) -> pd.DataFrame:
    """Finalists and hand-written strategies (those meeting the caps) on the scenario's
    replications: objective, burden, and whether each is on the Pareto front."""
    rows, scores = [], {}
    names = {run.finalist_names[c.key]: c for c in run.finalists}
    for strategy in list(run.scenario.strategies) + list(names):
        s = score(run.goal, _runs_of(run, strategy))
        if s.feasible:
            scores[strategy] = s
    ranks = front_ranks(scores)
    from simlib.report.labels import label_of
    for strategy, s in scores.items():
        cand = names.get(strategy)
        data = cand.data if cand else run.scenario.strategies[strategy].model_dump(mode="json")
        label = (run.settings.label if strategy == run.found_name else strategy.replace("search_finalist_", "Search finalist ")
                 if cand else label_of(strategy, run.scenario.strategies[strategy]))
        rows.append({"strategy": strategy, "label": label, "search_finalist": cand is not None,
                     "on_front": ranks[strategy] == 0,
                     run.goal.objective: s.objective, run.goal.burden: s.burden,
                     "what_it_does": found_description(run, data).split(": ", 1)[1].rstrip(".")})
    table = pd.DataFrame(rows)
    return table.sort_values(run.goal.objective, ascending=False, kind="stable").reset_index(drop=True)


def write_outputs(run, page: bool = True, log=None) -> None:
    """Publish every output of ``run`` as its directory, whole (issue 21): the outputs, the page
    and a copy of the saved study are written into a hidden staging directory that replaces the
    search folder in one rename (:func:`simlib.core.atomic.publishing`); the scenario's manifest
    and ``index.html`` follow, last. An interruption at any point leaves the previous complete
    search folder (and its page and index entry) or the new one, and the study to ``--resume``."""
    from simlib.core.atomic import publishing

    d = run.directory
    res = comparison_results(run)
    with publishing(d) as stage:
        _copy_study(d, stage)
        _write_files(run, res, stage)
        if page:
            from simlib.search.page import build_page
            build_page(run, stage)
    if log:
        log(f"  {d / BEST_FILE}")
    if page:
        from simlib.search.page import PAGE_FILE, list_page
        list_page(run)
        if log:
            log(f"  {d / PAGE_FILE}")


def _copy_study(directory, stage) -> None:
    """The saved study, copied consistently (SQLite's backup, committed pages of the write-ahead
    log included) into the folder that will replace ``directory``: ``--resume`` keeps working."""
    import contextlib
    import sqlite3

    from simlib.search.study import STUDY_FILE

    src = directory / STUDY_FILE
    if src.is_file():
        with contextlib.closing(sqlite3.connect(src)) as a, contextlib.closing(sqlite3.connect(stage / STUDY_FILE)) as b:
            a.backup(b)


def _write_files(run, res, d) -> None:
    s = run.settings
    res.save(d / RESULTS_DIR)
    block = res.scenario.strategies[result_name(run)].model_dump(mode="json", exclude_defaults=True)
    sel = run.selection
    verdict = ("selected over the best hand-written strategy" if sel.selected == run.found_name
               else f"NOT selected: the hand-written '{sel.selected}' is at least as good")
    header = [f"Found by `simlib search {os.path.basename(run.source)}` "
              f"({_dt.date.today().isoformat()}; seed {run.seed}, {s.budget} candidates).",
              f"Final selection (Kim-Nelson, {sel.confidence:.0%}, indifference ${s.indifference:,.0f}): {verdict}.",
              "Paste this block under `strategies:` in the scenario file."]
    atomic_write_text(d / BEST_FILE, _yaml_text({s.name: block}, header))
    write_csv(pd.DataFrame(run.trials), d / TRIALS_FILE)
    if run.goal.burden:
        table = front_table(run)
        write_csv(table, d / FRONT_FILE)
        names = {run.finalist_names[c.key]: c for c in run.finalists}
        front = {}
        for i, strategy in enumerate(table.loc[table["on_front"] & table["search_finalist"], "strategy"], start=1):
            data = names[strategy].data
            front[f"{s.name}_front_{i}"] = strategy_block(run, data, f"Search front {i}", found_description(run, data))
        atomic_write_text(d / FRONT_YAML, _yaml_text(front, ["The search's strategies on the Pareto front "
                                                             f"(NPV against {run.goal.burden})."]))
    atomic_write_text(d / SUMMARY_FILE, json.dumps(summary(run), indent=2))
