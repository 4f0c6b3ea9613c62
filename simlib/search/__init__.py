"""Strategy search (issue 12; docs/search.md): find the best strategy under the hospital's
constraints instead of comparing a few hand-written ones.

A scenario's ``search:`` section (:mod:`simlib.scenario.search_section`) names the lever settings to vary.
:func:`run_search` screens candidates with optuna (TPE, or NSGA-II with a second objective) on
common random numbers (:mod:`~simlib.search.study`, :mod:`~simlib.search.evaluate`), cuts them
down by successive halving (:mod:`~simlib.search.halving`), selects among the finalists and the
best hand-written strategy on fresh runs with a stated probability of correct selection
(:mod:`~simlib.search.selection`), and writes the best strategy as a YAML block, the Pareto
front and a report page (:mod:`~simlib.search.outputs`, :mod:`~simlib.search.page`).
"""
from simlib.search.run import SearchRun, run_search
from simlib.search.study import SearchError

__all__ = ["SearchError", "SearchRun", "run_search"]
