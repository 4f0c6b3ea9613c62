"""Are the teams sized for the volume? The workload each team can expect from the scenario's
volume, its utilisation and its queue through Erlang C (M/M/c), and a one-line warning for
`simlib validate` when a team is far from what the volume needs (issue 20, item 3).

The same two agents and three staff used to serve 12 or 40 encounters a day without a word: a
strategist who changes the volume and forgets to resize the teams got a wrong answer. Workloads
(per day, from the scenario alone, before any run):

- **denials team**: reworks = encounters × Σ payers share × (insured part > 0) × initial denial
  rate × expected rounds, where a round follows a denial that was not overturned,
  E[rounds] = Σ_{k < max_rounds} (1 − overturn)^k; each takes ``hours_per_rework ÷ hours_per_day``
  days of one member;
- **billing team**: disputes = encounters × Σ payers share × (patient share > 0) × (1 − share
  given free care: identification rate × P(ability < the free-care limit), lognormal ability) ×
  ``billing_error_rate``; each ``hours_per_dispute ÷ hours_per_day`` days;
- **phone team** (a strategy's): at most encounters × share of patient balances ≥ a call step's
  balance minimum (a lognormal tail) per call step, an upper bound (paid balances are not called),
  against agents × open minutes a day ÷ ``call_minutes_mean``.

A team with ``sizing:`` (:mod:`simlib.world.capacities.sizing`) gets its members from these
workloads when the scenario is validated (:func:`apply_sizing`): in proportion to the volume, to a
utilisation ceiling, or to a service level by Erlang C (:func:`sized_members`). The phone team's
calls being an upper bound, a phone team sized to a utilisation or a service level is sized for
every call step reaching every balance above its minimum (conservative); its open hours stretch
time (a call takes ``call_minutes_mean`` ÷ the share of the week the team is open), so its wait is
in open-time days.

The queue of M/M/c is a validated approximation here (tests/test_queue_and_littles_law.py checks
the call queue against it). A team is *short* when its utilisation is ≥ 0.95 (the queue grows) and
*far above the need* when it has at least twice the members that keep it under 85 % busy (at the
phone team's upper bound of calls); each is one line.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

UTILISATION_SHORT = 0.95
UTILISATION_TARGET = 0.85  # the fewest members that keep a team under this are what the volume needs


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in M/M/c (Erlang C), from Erlang B with scipy's Poisson:
    B = pmf(c; a) ÷ cdf(c; a), C = B ÷ (1 − ρ (1 − B)), ρ = a ÷ c; 1 when ρ ≥ 1."""
    if servers <= 0 or offered_load >= servers:
        return 1.0
    if offered_load <= 0:
        return 0.0
    b = stats.poisson.pmf(servers, offered_load) / stats.poisson.cdf(servers, offered_load)
    rho = offered_load / servers
    return float(b / (1.0 - rho * (1.0 - b)))


def erlang_c_wait_days(servers: int, arrivals_per_day: float, service_days: float) -> float:
    """Mean wait in the queue of M/M/c, W_q = C(c, a) ÷ (c μ − λ), a = λ s, μ = 1 ÷ s; inf if ρ ≥ 1."""
    a = arrivals_per_day * service_days
    if a >= servers:
        return math.inf
    return erlang_c(servers, a) / (servers / service_days - arrivals_per_day)


@dataclass(frozen=True)
class TeamLoad:
    team: str
    servers: int
    arrivals_per_day: float
    service_days: float
    upper_bound: bool = False  # the arrivals are an upper bound (the phone team's)

    @property
    def utilisation(self) -> float:
        return self.arrivals_per_day * self.service_days / self.servers if self.servers else math.inf

    @property
    def needed(self) -> int:
        """The fewest members that keep utilisation under ``UTILISATION_TARGET``."""
        return max(1, math.ceil(self.arrivals_per_day * self.service_days / UTILISATION_TARGET))


def service_level(servers: int, arrivals_per_day: float, service_days: float, wait_days: float) -> float:
    """Share of tasks that start within ``wait_days`` in M/M/c: 1 − C(c, a) · exp(−(c − a) t ÷ s)
    (0 when the queue grows without end)."""
    a = arrivals_per_day * service_days
    if a >= servers:
        return 0.0
    return 1.0 - erlang_c(servers, a) * math.exp(-(servers - a) * wait_days / service_days)


SERVERS_MAX = 100_000  # a sizing rule that needs more members than this is refused


def sized_members(sizing, load: "TeamLoad", encounters_per_day: float) -> float:
    """The full-time members a ``sizing`` rule gives for ``load``: fractional when ``part_time``
    (:func:`apply_sizing` makes x into max(``members_min``, ⌈x⌉) people each working x ÷ people of
    the hours), whole under the service-level rule; ``members_min`` when the team has no work."""
    a = load.arrivals_per_day * load.service_days
    if sizing.members_per_encounter_per_day is not None:
        n = encounters_per_day * sizing.members_per_encounter_per_day
        n = n if sizing.part_time else math.floor(n + 0.5)
    elif sizing.utilisation_max is not None:
        n = a / sizing.utilisation_max
        n = n if sizing.part_time else math.ceil(n - 1e-9)
    else:
        n = max(1, math.floor(a) + 1)
        while service_level(n, load.arrivals_per_day, load.service_days, sizing.wait_days_max) < sizing.service_level:
            n += 1
            if n > SERVERS_MAX:
                break
    return float(n) if n > 0 else float(sizing.members_min)  # no work: members_min full-time


def _sized_teams(sc):
    """(path, team settings) of every team of the scenario: the operations' and each phone team."""
    out = [("operations.denials_team", sc.operations.denials_team),
           ("operations.billing_team", sc.operations.billing_team)]
    out += [(f"strategies.{name}.phone_team", st.phone_team) for name, st in sc.strategies.items()
            if st.phone_team is not None]
    return out


def apply_sizing(sc) -> list[str]:
    """Write the sized members of every team with ``sizing:`` into the team (its ``staff`` or
    ``agents``), during the scenario's validation; one problem line per team a rule cannot size."""
    teams = [(path, team) for path, team in _sized_teams(sc) if team.sizing is not None]
    if not teams:
        return []
    loads = {load.team: load for load in team_loads(sc)}
    problems = []
    for path, team in teams:
        n = sized_members(team.sizing, loads[path], sc.simulation.encounters_per_day)
        if n > SERVERS_MAX:
            problems.append(f"{path}.sizing: expected a rule a team of at most {SERVERS_MAX:,} members "
                            f"meets; found {team.sizing.rule} needing more")
            continue
        people = max(team.sizing.members_min, math.ceil(n - 1e-9))  # whole people, each n ÷ people of the hours
        team.set_members(people, min(1.0, n / people))
    return problems


def _rounds(overturn: float, max_rounds: int) -> float:
    return sum((1.0 - overturn) ** k for k in range(max_rounds))


def team_loads(sc) -> list[TeamLoad]:
    """The expected workload of every team of the scenario (operations and each strategy's phone team)."""
    epd, ops = sc.simulation.encounters_per_day, sc.operations
    total = sum(p.share for p in sc.payers.values()) or 1.0
    dt, bt = ops.denials_team, ops.billing_team
    reworks = epd * sum(p.share / total * p.initial_denial_rate * _rounds(p.overturn_rate, dt.max_rounds)
                        for p in sc.payers.values() if p.patient_share < 1.0)
    disputes = epd * sum(p.share / total * (1.0 - _free_care_share(sc, name))
                         for name, p in sc.payers.items() if p.patient_share > 0) * bt.billing_error_rate
    out = [TeamLoad("operations.denials_team", dt.staff, reworks, dt.hours_per_rework / dt.hours_per_day),
           TeamLoad("operations.billing_team", bt.staff, disputes, bt.hours_per_dispute / bt.hours_per_day)]
    call_kinds = {name for name, ch in sc.channels.items() if ch.kind == "call"}
    for name, st in sc.strategies.items():
        team = st.phone_team
        if team is None:
            continue
        steps = [s for s in (getattr(st, "ladder", None) or []) if getattr(s, "channel", None) in call_kinds]
        calls = sum(epd * _share_at_least(sc, _minimum(s)) for s in steps)
        open_days = (team.hours[1] - team.hours[0]) / 24.0 * len(set(team.working_days)) / 7.0
        out.append(TeamLoad(f"strategies.{name}.phone_team", team.agents, calls,
                            team.call_minutes_mean / 1440.0 / open_days, upper_bound=True))
    return out


def _free_care_share(sc, payer: str) -> float:
    """Share of a payer's patients whose balance is cancelled as free care (no statement, no call)."""
    fap, pat = sc.finance.financial_assistance, sc.patients
    if fap is None or (fap.payers is not None and payer not in fap.payers) or fap.free_care_ability_max <= 0:
        return 0.0
    z = math.log(fap.free_care_ability_max / pat.ability_monthly_median)
    below = float(stats.norm.cdf(z / pat.ability_sigma)) if pat.ability_sigma > 0 else float(z > 0)
    return fap.identification_rate * below


def _minimum(step) -> float:
    target = getattr(step, "target", None)
    return float(getattr(target, "balance_min", 0.0) or 0.0) if target is not None else 0.0


def _share_at_least(sc, usd: float) -> float:
    """Share of encounters whose patient balance is ≥ ``usd`` (lognormal allowed amounts × share)."""
    total = sum(p.share for p in sc.payers.values()) or 1.0
    out = 0.0
    for name, p in sc.payers.items():
        if p.patient_share <= 0:
            continue
        median = p.allowed_median * p.patient_share
        billed = p.share / total * (1.0 - _free_care_share(sc, name))
        if usd <= 0:
            out += billed
        elif p.allowed_sigma > 0:
            out += billed * float(stats.norm.sf(math.log(usd / median) / p.allowed_sigma))
        else:
            out += billed * (median >= usd)
    return out


def sizing_notes(sc) -> list[str]:
    """One line per team sized from the volume (``sizing:``): its members and what they serve."""
    loads = {load.team: load for load in team_loads(sc)}
    out = []
    for path, team in _sized_teams(sc):
        if team.sizing is None:
            continue
        load, rule = loads[path], team.sizing.rule
        bound = "at most " if load.upper_bound else ""
        share = load.servers * _hours(team) / _stated_hours(team)
        part = f" ({share:.2f} full-time)" if share < load.servers - 1e-9 else ""
        members = "agent" if team.members_field == "agents" and load.servers == 1 else team.members_field
        out.append(f"{path}: {load.servers} {members}{part} sized by {rule} "
                   f"{getattr(team.sizing, rule):g} for {bound}{load.arrivals_per_day:.1f} tasks a day at "
                   f"{sc.simulation.encounters_per_day:g} encounters a day ({bound}{load.utilisation * 100:.0f} % busy)")
    return out


def _hours(team) -> float:
    hours = getattr(team, "hours", None)
    return hours[1] - hours[0] if hours is not None else team.hours_per_day


def _stated_hours(team) -> float:
    stated = team._stated.get("hours", team._stated.get("hours_per_day"))
    if stated is None:
        return _hours(team)
    return stated[1] - stated[0] if isinstance(stated, tuple) else stated


def sizing_warnings(sc) -> list[str]:
    """One line per team far from the volume's needs (empty when every team fits)."""
    out = []
    epd = sc.simulation.encounters_per_day
    for load in team_loads(sc):
        if load.servers <= 0 or load.arrivals_per_day <= 0:
            continue
        rho = load.utilisation
        bound = "at most " if load.upper_bound else ""
        if rho >= UTILISATION_SHORT and not load.upper_bound:
            wait = erlang_c_wait_days(load.servers, load.arrivals_per_day, load.service_days)
            waits = "its queue grows without end" if math.isinf(wait) else f"tasks wait {wait:.1f} days on average"
            out.append(f"{load.team}: {load.servers} for {load.arrivals_per_day:.1f} tasks a day at "
                       f"{epd:g} encounters a day is {rho * 100:.0f} % busy and {waits} (Erlang C); "
                       f"about {load.needed} would serve this volume")
        elif load.servers >= 2 * load.needed:
            out.append(f"{load.team}: {load.servers} for {bound}{load.arrivals_per_day:.1f} tasks a day at "
                       f"{epd:g} encounters a day would be {bound}{rho * 100:.0f} % busy, paid while idle; "
                       f"about {load.needed} would serve this volume")
    return out
