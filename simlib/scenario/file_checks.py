"""Checks of a scenario *file* that its models accept but that would silently change the answer
(issue 21's adversarial pass: each was "validate OK" and then a run quietly did something else).

Run by :func:`simlib.scenario.schema.load_scenario` on every file (``validate``, ``run``, ``report``
and ``search`` read files through it), not on scenarios built in code: those are derived from a
checked file (a sensitivity run on two of its strategies, a search candidate) and may
legitimately, say, leave a section's uncertain path without a target. Each problem is one line
naming the field, what was expected and what was found:

* ``simulation.billing_window_days`` beyond ``horizon_days``: encounters after the horizon are
  never billed (net collection 0.87 → 0.66 in the pass);
* two or more strategies and none marked ``baseline: true``: refused (the first one used to be
  taken). The status quo is what every gain, CI and recommendation is measured against; a
  reordered file would silently change the board's answer, so the file must say which one it is
  (a file of one strategy needs no mark);
* two strategies with the same label: the board could not tell them apart;
* a ladder step on a day after the horizon: it is never reached;
* a weekly call cap of 0 with call steps and a phone team: the team is paid and places no call;
* an ``uncertain:`` path that matches no number in this scenario (below ``*``, no strategy sets
  the section): nothing would be drawn;
* a ``search.add`` of a lever the template strategy already has: the template's own settings
  would be replaced without a word.

A yes/no value where a number is expected (``encounters_per_day: true``, read as 1) is refused for
every scenario, by :func:`boolean_number_problems` (called from ``scenario_from_dict``).
"""
from __future__ import annotations

from typing import Any


def file_problems(sc) -> list[str]:
    """Every problem above, for a validated scenario read from a file."""
    out: list[str] = []
    sim = sc.simulation
    if sim.billing_window_days > sim.horizon_days:
        out.append(f"simulation.billing_window_days: {sim.billing_window_days:g} is beyond horizon_days "
                   f"{sim.horizon_days:g} (encounters after the horizon are never billed); expected at most "
                   f"{sim.horizon_days:g}")
    if len(sc.strategies) > 1 and not any(s.baseline for s in sc.strategies.values()):  # one: it is the status quo
        first = next(iter(sc.strategies))
        out.append(f"strategies: no strategy has baseline: true; expected exactly one (the status quo every "
                   f"other is compared with; mark {first!r} if it is the status quo)")
    out.extend(_label_problems(sc))
    for name, st in sc.strategies.items():
        out.extend(_strategy_problems(sc, name, st))
    out.extend(_uncertain_problems(sc))
    out.extend(_search_add_problems(sc))
    return out


def _label_problems(sc) -> list[str]:
    seen: dict[str, str] = {}
    out = []
    for name, st in sc.strategies.items():
        if st.label is None:
            continue
        key = " ".join(st.label.split()).casefold()
        if key in seen:
            out.append(f"strategies.{name}.label: {st.label!r} is also the label of strategies.{seen[key]}; "
                       f"expected a label of its own (the board tells strategies apart by their labels)")
        else:
            seen[key] = name
    return out


def _strategy_problems(sc, name: str, st) -> list[str]:
    out = []
    horizon = sc.simulation.horizon_days
    calls = []
    for i, step in enumerate(st.ladder or []):
        if step.day > horizon:
            out.append(f"strategies.{name}.ladder.{i}.day: {step.day:g} is after the horizon "
                       f"(simulation.horizon_days {horizon:g}), so the step is never reached; expected a day "
                       f"within the horizon")
        channel = sc.channels.get(step.channel)
        if channel is not None and channel.kind == "call":
            calls.append(i)
    limits = st.contact_limits
    if calls and st.phone_team is not None and limits is not None and limits.calls_per_7_days_max == 0:
        out.append(f"strategies.{name}.contact_limits.calls_per_7_days_max: 0 forbids every call, yet the ladder "
                   f"has call steps ({', '.join(map(str, calls))}) and a paid phone_team; expected at least 1, "
                   f"or no call steps and no phone team")
    return out


def _uncertain_problems(sc) -> list[str]:
    from simlib.core.parameter_paths import ParameterPathError
    from simlib.scenario.uncertain_checks import matches

    if not sc.uncertain:
        return []
    data = sc.model_dump(mode="json")
    out = []
    for i, entry in enumerate(sc.uncertain):
        try:
            _, inactive = matches(data, entry.path)
        except ParameterPathError:
            continue  # refused by the section's own check
        if inactive:
            out.append(f"uncertain.{i}.path: {entry.path} matches no number in this scenario (no entry sets "
                       f"that section); expected a path to a number the scenario uses")
    return out


def _search_add_problems(sc) -> list[str]:
    search = sc.search
    if search is None or not search.add or search.start_from not in sc.strategies:
        return []
    template = sc.strategies[search.start_from]
    has = [k for k in search.add if k in template.model_fields_set and getattr(template, k, None) not in (None, [], {})]
    return [f"search.add.{k}: the template {search.start_from!r} already has a {k} section; expected only "
            f"levers it lacks (change the template's own {k}, or vary it with search.variables)" for k in has]


def boolean_number_problems(raw: Any, dumped: Any, path: str = "") -> list[str]:
    """Fields given a yes/no value (``true``) that the model took as a number (1): refused."""
    out: list[str] = []
    if isinstance(raw, dict) and isinstance(dumped, dict):
        for k, v in raw.items():
            if k in dumped:
                out.extend(boolean_number_problems(v, dumped[k], f"{path}.{k}" if path else str(k)))
    elif isinstance(raw, list) and isinstance(dumped, list) and len(raw) == len(dumped):
        for i, (a, b) in enumerate(zip(raw, dumped)):
            out.extend(boolean_number_problems(a, b, f"{path}.{i}"))
    elif isinstance(raw, bool) and isinstance(dumped, (int, float)) and not isinstance(dumped, bool):
        out.append(f"{path}: expected a number; found {str(raw).lower()} (a yes/no value)")
    return out
