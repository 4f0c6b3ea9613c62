"""simlib: simulate how hospital bills get paid under different collection strategies.

The public API (docs/python_api.md has a worked example):

- ``load_scenario(path)`` -> ``Scenario``: read and validate a scenario file (YAML).
- ``Scenario.variant(name, from_=..., **changes)`` and ``Scenario.with_values({path: value})``: validated
  changed copies (a new strategy made from another; parameters set by dotted path).
- ``ScenarioError``: invalid input, one line per problem (file or ``<variant>``, field, expected, found).
- ``run_experiment(scenario, replications=, seed=, workers=, progress=)`` -> ``Results``: the Monte
  Carlo experiment, every strategy on the same simulated patients.
- ``Results``: ``metrics``, ``curves``, ``aging`` tables; ``summary()`` (numbers; ``formatted=True``
  for text), ``compare(a, b)`` (paired differences with confidence intervals), ``headline()``,
  ``save(dir)``, ``Results.load(dir)``.
- ``METRICS``: the metric catalogue (label, unit, direction, definition of every metric).
- ``simlib.report``: the board report's building blocks, as the notebooks call them.
"""
from simlib.scenario.schema import Scenario, ScenarioError, load_scenario

from simlib.core.versions import SIMLIB_VERSION as __version__
__all__ = ["Scenario", "ScenarioError", "load_scenario", "run_experiment", "Results", "METRICS", "__version__"]

_LAZY = {"run_experiment": "simlib.run.experiment", "Results": "simlib.run.experiment",
         "METRICS": "simlib.core.metric_catalogue"}


def __getattr__(name):  # lazy: keep `import simlib` light for the CLI's validate command
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)


def __dir__():  # help(simlib) and tab completion see the lazy names too
    return sorted(set(globals()) | set(__all__))
