"""simlib: simulate how hospital bills get paid under different collection strategies."""
from simlib.scenario.schema import Scenario, ScenarioError, load_scenario

from simlib.core.versions import SIMLIB_VERSION as __version__
__all__ = ["Scenario", "ScenarioError", "load_scenario", "run_experiment", "Results", "__version__"]


def __getattr__(name):  # lazy: keep `import simlib` light for the CLI's validate command
    if name in ("run_experiment", "Results"):
        from simlib.run import experiment
        return getattr(experiment, name)
    raise AttributeError(name)
