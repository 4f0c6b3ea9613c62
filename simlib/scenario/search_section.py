"""The ``search:`` section of a scenario file: which lever settings ``simlib search`` may change,
within which bounds, under which constraints (docs/search.md).

The search starts from a **template strategy** (``start_from``), with lever sections added by
``add``, and changes only what the section names: ``variables`` (``{path, low, high, step?}`` a
number of the template, whole numbers staying whole; ``{path, choices}`` a setting from a list,
and on a whole lever section ``none``, ``keep`` or another strategy whose section is copied, e.g.
a listed factoring offer); ``ladder`` slots (a channel or ``none`` on a whole day in a range; they
replace the template's ladder, and a candidate without a call step has no phone team, whose agents
are paid by the hour); the regulator's ``contact_limits``, set on every candidate; ``constraints``
and a ``burden`` (second objective).

Checked when the file is loaded, against the template, the channels and the other strategies, one
line per problem naming the field (``search: variables.2.path: …``). :func:`candidate_data`, which
turns chosen values into a strategy's data, lives here so that the check and the search build
candidates the same way.
"""
from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, ValidationInfo, model_validator

from simlib.levers import registered_levers
from simlib.levers.contact_limits import ContactLimits
from simlib.core.parameter_paths import ParameterPathError, at_path, values as path_values
from simlib.core.settings import Fraction, NonNeg, Positive, Strict, Targeting

NONE, KEEP = "none", "keep"
#: Strategy fields a variable may not change: the board's words, and the regulator's caps
#: (``search.contact_limits`` sets those for every candidate).
NOT_SEARCHABLE = ("label", "description", "baseline", "contact_limits")
BURDEN_METRICS = ("contacts_per_account", "calls_per_account", "complaints_per_1000_accounts")

ChoiceValue = bool | int | float | str | None


class Variable(Strict):
    """A decision variable: a number between ``low`` and ``high`` (on a grid of ``step`` when
    given), or one of ``choices``. ``path`` is a setting of the template strategy, e.g.
    ``deposit.share`` (``strategies.<start_from>.deposit.share`` is accepted too)."""

    path: Annotated[str, Field(min_length=1, max_length=200)]
    low: float | None = None
    high: float | None = None
    step: Positive | None = None
    choices: Annotated[list[ChoiceValue], Field(min_length=1, max_length=50)] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> "Variable":
        numeric = self.low is not None or self.high is not None or self.step is not None
        if self.choices is not None and numeric:
            raise ValueError("give either choices or low/high (and step), not both")
        if self.choices is None:
            if self.low is None or self.high is None:
                raise ValueError("expected low and high (a number's range) or choices (a list)")
            if self.low > self.high:
                raise ValueError(f"low must be <= high; found low {self.low:g}, high {self.high:g}")
            if self.step is not None and not _on_grid(self.high - self.low, self.step):
                raise ValueError(f"high - low must be a whole number of steps; found "
                                 f"{self.high:g} - {self.low:g} with step {self.step:g}")
        elif len({repr(c) for c in self.choices}) < len(self.choices):
            raise ValueError(f"choices must differ; found {self.choices}")
        return self


class LadderSlot(Strict):
    """A reminder slot: a channel among ``channels`` (``none``: no step here) on a whole day in
    [``day_low``, ``day_high``] (every ``day_step`` days), for the patients ``target`` selects."""

    channels: Annotated[list[str], Field(min_length=1, max_length=20)]
    day_low: NonNeg
    day_high: NonNeg
    day_step: Positive = 1.0
    relative_to: Literal["statement", "due_date"] = "statement"
    target: Targeting = Targeting()

    @model_validator(mode="after")
    def _check(self) -> "LadderSlot":
        if self.day_low > self.day_high:
            raise ValueError(f"day_low must be <= day_high; found {self.day_low:g} > {self.day_high:g}")
        if not _on_grid(self.day_high - self.day_low, self.day_step):
            raise ValueError(f"day_high - day_low must be a whole number of day_step; found "
                             f"{self.day_high:g} - {self.day_low:g} with day_step {self.day_step:g}")
        if len(set(self.channels)) < len(self.channels):
            raise ValueError(f"channels must differ; found {self.channels}")
        return self


class SearchConstraints(Strict):
    """Caps the returned strategy must meet (means over the runs at full fidelity). ``None``: no cap."""

    contacts_per_account_max: NonNeg | None = None
    calls_per_account_max: NonNeg | None = None
    complaints_per_1000_accounts_max: NonNeg | None = None
    #: share of runs whose cash shortfall exceeds the credit line (used when the scenario reports
    #: the metric ``liquidity_infeasible``: a cash floor is set)
    liquidity_infeasible_share_max: Fraction = 0.0
    #: keep the answer within what hospitals have reported (simlib/analysis/plausibility.yaml): a
    #: candidate whose mean KPIs leave the envelope is infeasible, like one over a cap
    within_reported_ranges: bool = True


class SearchSettings(Strict):
    """What ``simlib search`` may change and how hard it looks (docs/search.md)."""

    start_from: Annotated[str, Field(min_length=1, max_length=80, description=(
        "The template strategy: every setting the search does not change is its."))]
    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=60, description=(
        "The key of the strategy the search writes (best_strategy.yaml)."))] = "searched"
    label: Annotated[str, Field(min_length=1, max_length=60, description=(
        "The board's name for it."))] = "Best strategy found by the search"
    add: dict[str, Any] = Field({}, description=(
        "Lever sections added to the template before the search (e.g. a payment_plan to tune)."))
    variables: Annotated[list[Variable], Field(max_length=60, description=(
        "The settings to search: {path, low, high, step?} or {path, choices}."))] = []
    ladder: Annotated[list[LadderSlot], Field(min_length=1, max_length=20)] | None = Field(None, description=(
        "Reminder slots that replace the template's ladder (a channel and a day each)."))
    contact_limits: ContactLimits | None = Field(None, description=(
        "The regulator's caps, set on every candidate (default: the template's)."))
    constraints: SearchConstraints = Field(SearchConstraints(), description=(
        "Caps on what the strategy asks of patients, and on cash shortfalls."))
    burden: Literal["contacts_per_account", "calls_per_account", "complaints_per_1000_accounts"] | None = Field(
        None, description="A second objective to keep low: a Pareto front (NSGA-II) instead of one best.")
    budget: Annotated[int, Field(ge=1, le=100_000, description=(
        "Candidates screened (optuna trials); `simlib search --budget` overrides it."))] = 40
    batch: Annotated[int, Field(ge=1, le=256, description=(
        "Candidates proposed together and simulated in parallel (results do not depend on workers)."))] = 8
    screening_replications: Annotated[int, Field(ge=1, le=100, description=(
        "Runs per candidate when screening (the first fidelity rung)."))] = 1
    screening_accounts_share: Annotated[float, Field(gt=0.0, le=1.0, description=(
        "Share of the accounts simulated when screening; below 1 staff costs weigh more per "
        "account (docs/search.md)."))] = 1.0
    halving_factor: Annotated[int, Field(ge=2, le=10, description=(
        "Successive halving: each rung keeps 1/factor of the candidates with factor × the runs."))] = 3
    finalists: Annotated[int, Field(ge=1, le=50, description=(
        "Candidates compared at full fidelity with the best hand-written strategy."))] = 4
    indifference: Annotated[float, Field(gt=0.0, le=1e9, description=(
        "A difference in NPV smaller than this does not matter (the selection's indifference zone)."))] = 10_000.0
    confidence: Annotated[float, Field(ge=0.5, le=0.999, description=(
        "Probability of correct selection the final comparison guarantees."))] = 0.95
    selection_replications_max: Annotated[int, Field(ge=2, le=10_000, description=(
        "At most this many runs per finalist in the final selection."))] = 100

    @model_validator(mode="after")
    def _something_to_search(self) -> "SearchSettings":
        if not self.variables and self.ladder is None:
            raise ValueError("nothing to search: give variables or ladder")
        return self


def _on_grid(span: float, step: float) -> bool:
    k = span / step
    return abs(k - round(k)) <= 1e-9 * max(1.0, abs(k))


# ---------------------------------------------------------------------------- names and candidates
def short_path(settings: SearchSettings, path: str) -> str:
    """``strategies.<start_from>.x.y`` → ``x.y``; other paths are already inside the strategy."""
    prefix = f"strategies.{settings.start_from}."
    return path[len(prefix):] if path.startswith(prefix) else path


def is_section(template: dict, path: str) -> bool:
    """Whether ``path`` names a whole lever section (``factoring``, ``agency``), not a setting."""
    return "." not in path and (template.get(path) is None or isinstance(template.get(path), dict))


def is_whole(template: dict, path: str) -> bool:
    """Whether the template's value at ``path`` is a whole number (agents, months): kept whole."""
    node = at_path(template, path)
    return isinstance(node, int) and not isinstance(node, bool)


def _policy_sections(data: dict) -> bool:
    """Whether the strategy data runs a policy (:class:`simlib.policies.base.PolicyLever`), which
    may call without a call step on the ladder."""
    from simlib.policies.base import PolicyLever

    return any(data.get(key) is not None for key, cls in registered_levers().items() if issubclass(cls, PolicyLever))


def template_data(settings: SearchSettings, strategies: dict) -> dict:
    """The template strategy's data (JSON types) with the ``add`` sections merged in."""
    data = strategies[settings.start_from].model_dump(mode="json")
    data.update(copy.deepcopy(settings.add))
    return data


def candidate_data(settings: SearchSettings, template: dict, strategies: dict, call_channels: set[str],
                   chosen: dict[str, Any]) -> dict:
    """The strategy data of one candidate: ``template`` with the ``chosen`` values (variable paths,
    ``ladder.<i>.channel`` and ``ladder.<i>.day``) applied; values not given keep the template's.
    Section choices apply first; a setting inside a section that is off is ignored."""
    data = copy.deepcopy(template)
    data.update(label=settings.label, baseline=False)
    variables = [(short_path(settings, v.path), v) for v in settings.variables]
    for path, v in variables:
        if v.choices is not None and is_section(template, path) and path in chosen:
            value = chosen[path]
            if value is None or value == NONE:
                data[path] = None
            elif value != KEEP:
                data[path] = copy.deepcopy(strategies[value].model_dump(mode="json")[path])
    for path, v in variables:
        if path not in chosen or (v.choices is not None and is_section(template, path)):
            continue
        parent, _, last = path.rpartition(".")
        node = at_path(data, parent) if parent else data
        if isinstance(node, dict) or (isinstance(node, list) and last.isdigit() and int(last) < len(node)):
            value = chosen[path]
            node[int(last) if isinstance(node, list) else last] = (
                int(round(value)) if is_whole(template, path) and isinstance(value, float) else value)
    if settings.ladder is not None:
        steps = []
        for i, slot in enumerate(settings.ladder):
            channel = chosen.get(f"ladder.{i}.channel", slot.channels[0])
            if channel == NONE:
                continue
            day = float(chosen.get(f"ladder.{i}.day", slot.day_low))
            steps.append({"day": day, "channel": channel, "relative_to": slot.relative_to,
                          "target": slot.target.model_dump(mode="json")})
        data["ladder"] = sorted(steps, key=lambda s: s["day"])  # stable: slot order breaks ties
    if settings.contact_limits is not None:
        data["contact_limits"] = settings.contact_limits.model_dump(mode="json")
    if data.get("phone_team") is not None and not any(s["channel"] in call_channels for s in data["ladder"]) \
            and not _policy_sections(data):
        data["phone_team"] = None  # no call step and no policy that may call: no team to pay
    return data


# ---------------------------------------------------------------------------- checks against the file
def _error_words(err: dict) -> str:
    """A pydantic error as the scenario loader words it: ``field: expected …; found …``."""
    loc = ".".join(str(p) for p in err["loc"]) or "(strategy)"
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        return f"{loc}: unknown field (typo?)"
    if err["type"] == "value_error":
        return f"{loc}: {msg.removeprefix('Value error, ')}"
    found = err.get("input")
    found = type(found).__name__ if isinstance(found, (dict, list)) else repr(found)
    msg = msg.removeprefix("Input should be ")
    return f"{loc}: expected {msg[0].lower() + msg[1:]}; found {found}"


def _strategy_problems(strategy_model: type, data: dict, scenario: Any, at: str) -> list[str]:
    """Problems of a candidate strategy's data: its own validation, then each lever's checks."""
    try:
        st = strategy_model.model_validate(data)
    except ValidationError as exc:
        return [f"{at}: {_error_words(e)}" for e in exc.errors()]
    out = []
    for key, lever in registered_levers().items():
        out.extend(f"{at}: {p}" for p in lever.check(getattr(st, key), st, scenario, key))
    return out


def _variable_problems(settings: SearchSettings, i: int, v: Variable, template: dict, strategies: dict,
                       check, strict: bool) -> list[str]:
    at = f"variables.{i}"
    path = short_path(settings, v.path)
    if path.startswith("strategies."):
        return [f"{at}.path: expected a setting of the template strategy {settings.start_from!r} "
                f"(e.g. deposit.share); found {v.path!r}"]
    head = path.split(".")[0]
    if head in NOT_SEARCHABLE:
        why = ("the regulator's caps: set them once in search.contact_limits" if head == "contact_limits"
               else "the board's words, not a lever setting")
        return [f"{at}.path: {head} cannot be searched ({why})"]
    if head not in template:
        return [f"{at}.path: {head!r} is not a strategy setting; expected one of {sorted(registered_levers())}"]
    if v.choices is not None and is_section(template, path):
        out = []
        for c in v.choices:
            if c is None or c == NONE:
                continue
            if c == KEEP:
                if template.get(path) is None:
                    out.append(f"{at}.choices: keep: the template {settings.start_from!r} has no {path} "
                               "(add one under search.add)")
                continue
            if c not in strategies and not strict:
                continue  # a scenario derived from the file without that strategy: checked by the search
            if c not in strategies or strategies[c].model_dump(mode="json").get(path) is None:
                having = [n for n, s in strategies.items() if s.model_dump(mode="json").get(path) is not None]
                out.append(f"{at}.choices: expected none, keep or a strategy with a {path} section "
                           f"({', '.join(having) or 'none in this file'}); found {c!r}")
            else:
                out.extend(check({path: c}, f"{at}.choices {c}"))
        return out
    if template.get(head) is None:
        return [f"{at}.path: the template {settings.start_from!r} has no {head}; add one under search.add "
                "(its settings are the starting point)"]
    if v.choices is not None:
        node = at_path(template, path, KeyError)
        if node is KeyError or isinstance(node, (dict, list)):
            return [f"{at}.path: {path!r} is not a setting of the template {settings.start_from!r}"]
        return [p for c in v.choices for p in check({path: c}, f"{at}.choices {c}")]
    try:
        path_values(template, path)
    except ParameterPathError as exc:
        return [f"{at}.path: {exc}"]
    out = []
    if is_whole(template, path) and not all(float(x).is_integer() for x in (v.low, v.high, v.step or 1.0)):
        out.append(f"{at}: {path} is a whole number; expected whole low, high and step; "
                   f"found {v.low:g}, {v.high:g}, {v.step or 1:g}")
    for edge, value in (("low", v.low), ("high", v.high)):
        out.extend(check({path: value}, f"{at}.{edge} ({path} = {value:g})"))
    return out


def _ladder_problems(settings: SearchSettings, template: dict, channels: dict, check) -> list[str]:
    out = []
    for i, slot in enumerate(settings.ladder or []):
        at = f"ladder.{i}"
        for c in slot.channels:
            if c != NONE and c not in channels:
                out.append(f"{at}.channels: expected channels among {sorted(channels)} or none; found {c!r}")
            elif c != NONE and channels[c].kind == "call" and template.get("phone_team") is None:
                out.append(f"{at}.channels: a call step needs a phone_team in the template "
                           f"{settings.start_from!r} (or under search.add)")
            elif c != NONE:
                for day in {slot.day_low, slot.day_high}:
                    only = {f"ladder.{j}.channel": NONE for j in range(len(settings.ladder))}
                    only.update({f"ladder.{i}.channel": c, f"ladder.{i}.day": day})
                    out.extend(check(only, f"{at} ({c} on day {day:g})"))
    return out


def scenario_problems(settings: SearchSettings, scenario: Any, strict: bool = True) -> list[str]:
    """Every problem of the section against the scenario (``scenario`` needs ``strategies``,
    ``channels``, ``payers``, ``finance``, ``simulation``): one line each, field path first.

    Not ``strict`` (when a scenario is loaded): references to strategies the scenario lacks are
    not checked, so that a scenario derived from the file with fewer strategies (a sensitivity
    run on two of them, a test's own strategies) stays valid; ``simlib search`` and ``simlib
    validate`` check strictly (:func:`search_problems`)."""
    strategies = scenario.strategies
    if settings.start_from not in strategies and not strict:
        return []
    if settings.start_from not in strategies:
        return [f"start_from: expected one of the strategies {list(strategies)}; found {settings.start_from!r}"]
    unknown = [k for k in settings.add if k not in registered_levers()]
    if unknown:
        return [f"add: expected lever sections among {sorted(registered_levers())}; found {unknown}"]
    model = type(strategies[settings.start_from])
    if settings.add:
        problems = _strategy_problems(model, template_data(settings, strategies), scenario, "add")
        if problems:
            return problems
    template = template_data(settings, strategies)
    calls = {n for n, c in scenario.channels.items() if c.kind == "call"}

    def check(chosen: dict, at: str) -> list[str]:
        return _strategy_problems(model, candidate_data(settings, template, strategies, calls, chosen),
                                  scenario, at)

    out = []
    seen: dict[str, int] = {}
    for i, v in enumerate(settings.variables):
        path = short_path(settings, v.path)
        if path in seen:
            out.append(f"variables.{i}.path: {path} is already variable {seen[path]}")
            continue
        seen[path] = i
        out.extend(_variable_problems(settings, i, v, template, strategies, check, strict))
    out.extend(_ladder_problems(settings, template, scenario.channels, check))
    if not out:
        out.extend(check({}, "the template with the search's contact limits and ladder"))
    return out


def _check_search(value: SearchSettings, info: ValidationInfo) -> SearchSettings:
    """The section checked against the file's strategies and channels, leniently (skipped when
    those are themselves invalid: their own errors are reported)."""
    needed = ("strategies", "channels", "payers", "finance", "simulation")
    if value is None or any(k not in info.data for k in needed):
        return value
    problems = scenario_problems(value, SimpleNamespace(**info.data), strict=False)
    if problems:
        raise ValueError("\n".join(problems))
    return value


def search_problems(scenario: Any) -> list[str]:
    """The strict check of a loaded scenario's ``search:`` section (``search: …`` lines; empty
    without a section): what ``simlib search`` and ``simlib validate`` refuse."""
    if getattr(scenario, "search", None) is None:
        return []
    return [f"search: {p}" for p in scenario_problems(scenario.search, scenario, strict=True)]


#: The field type of ``Scenario.search``: the settings, checked against the rest of the file.
SearchSection = Annotated[SearchSettings, AfterValidator(_check_search)]

