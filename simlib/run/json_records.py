"""What ``simlib run --json`` reports of one scenario (:mod:`simlib.core.json_output`): where the
tables went, how many runs, the recommendation, the headline and the summary numbers of every
metric (the full tables are the files in the result directory, described by ``data_dictionary``)."""
from __future__ import annotations

from pathlib import Path


def run_record(source, res, out: Path, fmt: str) -> dict:
    return {"file": str(source), "scenario": res.scenario.name, "out": str(out), "format": fmt,
            "tables": sorted(p.name for p in Path(out).iterdir() if p.is_file()),
            "replications": res.provenance.get("replications"), "seed": res.provenance.get("seed"),
            "strategies": res.strategies(), "baseline": res.baseline,
            "recommendation": res.decision.to_dict() if res.decision is not None else None,
            "headline": res.headline() if res.decision is not None else None,
            "summary": res.summary(metrics=sorted(set(res.metrics["metric"]))).to_dict("records")}


def validate_record(source, scenario, problems: list[str]) -> dict:
    """What ``simlib validate --json`` reports of one file."""
    if scenario is None:
        return {"file": str(source), "ok": False, "problems": list(problems)}
    return {"file": str(source), "ok": True, "scenario": scenario.name, "strategies": list(scenario.strategies),
            "baseline": scenario.baseline_strategy, "problems": []}
