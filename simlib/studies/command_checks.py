"""What the commands check beyond the file itself, in one place, so that ``simlib validate``
passes exactly what ``simlib search`` and ``simlib report`` accept (issue 21: a file validate
passed made ``report`` fail with exit 4 on a sensitivity factor).
"""
from __future__ import annotations


def command_problems(sc) -> list[str]:
    """``search``'s references to other strategies (checked strictly) and every ``sensitivity:``
    factor's low and high setting (``report`` runs them): one line each, naming the field."""
    from simlib.scenario.search_section import search_problems
    from simlib.core.ranges import Range
    from simlib.studies.sensitivity import check_factors

    out = list(search_problems(sc))
    section = getattr(sc, "sensitivity", None)
    if section is not None and section.factors:
        out.extend(check_factors(sc, [Range.of(f) for f in section.factors]))
    return out
