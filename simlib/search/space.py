"""The search space as optuna sees it: one parameter per decision variable and two per ladder
slot (its channel and its day), and the candidate strategy a set of values makes.

Every parameter is suggested for every trial (a static space, so TPE's multivariate model and
NSGA-II see the same dimensions every time); a setting inside a lever section the candidate
switches off is simply not used. A candidate is identified by the hash of its strategy data, so
two trials that make the same strategy share their simulations.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from simlib.scenario.search_section import SearchSettings, candidate_data, is_whole, short_path, template_data


@dataclass(frozen=True)
class Candidate:
    """A strategy the search simulates: its values, its strategy data and their hash."""

    values: dict[str, Any]
    data: dict
    key: str

    @property
    def name(self) -> str:
        """The strategy name used inside simulations (a stable, file-safe identifier)."""
        return f"candidate_{self.key}"


class Space:
    """The decision variables of a scenario's ``search:`` section over its template strategy."""

    def __init__(self, scenario, settings: SearchSettings | None = None):
        self.scenario = scenario
        self.settings = settings or scenario.search
        self.template = template_data(self.settings, scenario.strategies)
        self.call_channels = {n for n, c in scenario.channels.items() if c.kind == "call"}

    def parameter_names(self) -> list[str]:
        names = [short_path(self.settings, v.path) for v in self.settings.variables]
        for i, _ in enumerate(self.settings.ladder or []):
            names += [f"ladder.{i}.channel", f"ladder.{i}.day"]
        return names

    def suggest(self, trial) -> dict[str, Any]:
        """Ask an optuna trial for a value of every parameter."""
        out: dict[str, Any] = {}
        for v in self.settings.variables:
            path = short_path(self.settings, v.path)
            if v.choices is not None:
                out[path] = trial.suggest_categorical(path, v.choices)
            elif is_whole(self.template, path):
                out[path] = trial.suggest_int(path, int(v.low), int(v.high), step=int(v.step or 1))
            else:
                out[path] = trial.suggest_float(path, v.low, v.high, step=v.step)
        for i, slot in enumerate(self.settings.ladder or []):
            out[f"ladder.{i}.channel"] = trial.suggest_categorical(f"ladder.{i}.channel", slot.channels)
            out[f"ladder.{i}.day"] = trial.suggest_float(f"ladder.{i}.day", slot.day_low, slot.day_high,
                                                         step=slot.day_step)
        return out

    def candidate(self, values: dict[str, Any]) -> Candidate:
        """The candidate strategy of a set of values (they may come from a stored trial); a float
        on a step grid is rounded to 10 decimals (0.85, not 0.8500000000000001, in best_strategy.yaml)."""
        values = {k: (round(v, 10) if isinstance(v, float) else v) for k, v in values.items()}
        data = candidate_data(self.settings, self.template, self.scenario.strategies, self.call_channels,
                              values)
        blob = json.dumps(data, sort_keys=True).encode()
        return Candidate(dict(values), data, hashlib.sha256(blob).hexdigest()[:16])
