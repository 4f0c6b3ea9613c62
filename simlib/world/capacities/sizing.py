"""A team sized for the work: the ``sizing:`` section a team may give instead of a fixed number of
members (issue 20, item 3).

The same two agents and three staff used to serve 12 or 40 encounters a day: a strategist who
changed the volume and forgot to resize every team got a wrong answer. A team (the denials and
billing teams of ``operations``, a strategy's ``phone_team``) either states its members
(``staff:``/``agents:``, a fixed number) or ``sizing:``, exactly one of:

- ``members_per_encounter_per_day``: members in proportion to the volume — e.g. 0.05 is one member
  for every 20 encounters a day — rounded to the nearest whole person (halves up);
- ``utilisation_max``: the fewest members whose expected utilisation (workload ÷ members) stays at
  or under this share;
- ``service_level`` with ``wait_days_max``: the fewest members for which at least this share of the
  team's tasks start within ``wait_days_max`` days, by Erlang C (M/M/c):
  P(wait ≤ t) = 1 − C(c, a) · exp(−(c − a) t ÷ s), a = tasks a day × s, s = days a task takes.

Never fewer than ``members_min``. Under the first two rules the team is what the rule asks to the
hour (``part_time: true``, the default): x members (e.g. 0.31 or 2.4) are ⌈x⌉ people each working
x ÷ ⌈x⌉ of the team's hours — the denials and billing teams' ``hours_per_day``, the phone team's
open hours (shortened from their start) — so a team costs and can work exactly x full members'
hours, and a hospital of 12 encounters a day pays for the same staff per encounter as one of 40
(no free lunch either way: the capacity in hours is what is paid). ``part_time: false`` rounds up
to whole full-time members (the per-volume rule to the nearest); the service-level rule always
sizes full-time members. The workload is the scenario's own expectation
(:mod:`simlib.scenario.team_sizing`, which resolves the sizes when the scenario is validated and
writes them into the team's members field; the file keeps ``sizing:``, so a changed volume resizes
the team). This module holds the settings only; the world sees a whole number of members.
"""
from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field, PrivateAttr, model_serializer, model_validator

from simlib.core.settings import Positive, Strict

OpenShare = Annotated[float, Field(gt=0.0, lt=1.0)]


class TeamSizing(Strict):
    """A team's members from the volume, instead of a fixed number (give one or the other), by
    exactly one rule: ``members_per_encounter_per_day`` (e.g. 0.05: one member per 20 encounters a
    day, rounded to the nearest whole person); ``utilisation_max`` (0–1: the fewest members whose
    expected utilisation stays at or under it); or ``service_level`` (0–1) with ``wait_days_max``
    (the fewest members for which that share of tasks starts within that wait, Erlang C). Never
    fewer than ``members_min``. ``part_time`` (default true): the team works exactly the hours the
    first two rules ask, its members each working that share of the hours (``hours_per_day`` or the
    phone team's open hours, shortened); false: whole full-time members. The workload is the scenario's expectation (docs/model.md "Teams
    and volume"); `simlib validate` prints the sizes."""

    members_per_encounter_per_day: Positive | None = None
    utilisation_max: OpenShare | None = None
    service_level: OpenShare | None = None
    wait_days_max: Positive | None = None  # with service_level: tasks started within this wait
    members_min: Annotated[int, Field(ge=1, le=1000)] = 1
    part_time: bool = True  # the last members work part of the hours so the team is exactly the rule's

    @model_validator(mode="after")
    def _check(self) -> "TeamSizing":
        rules = [k for k in ("members_per_encounter_per_day", "utilisation_max", "service_level")
                 if getattr(self, k) is not None]
        if len(rules) != 1:
            raise ValueError("expected exactly one of members_per_encounter_per_day, utilisation_max or "
                             f"service_level (with wait_days_max); found {', '.join(rules) or 'none'}")
        if (self.service_level is None) != (self.wait_days_max is None):
            raise ValueError("service_level and wait_days_max go together (the share of tasks that start "
                             "within wait_days_max days)")
        return self

    @property
    def rule(self) -> str:
        return next(k for k in ("members_per_encounter_per_day", "utilisation_max", "service_level")
                    if getattr(self, k) is not None)


class SizedTeam(Strict):
    """A team whose members are either fixed (``members_field``) or sized (``sizing``), not both.

    When ``sizing`` is given, the scenario's validation writes the sized number into the members
    field (:func:`simlib.scenario.team_sizing.apply_sizing`); a dump leaves the members out and
    keeps ``sizing`` (a changed copy of the scenario is resized), and leaves ``sizing`` out when it
    is not used (files and hashes without it are unchanged)."""

    members_field: ClassVar[str] = "staff"
    sizing: TeamSizing | None = None
    _stated: dict = PrivateAttr(default_factory=dict)  # the file's hours, before part-time shortening

    @model_validator(mode="before")
    @classmethod
    def _members_or_sizing(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("sizing") is not None and cls.members_field in data:
            raise ValueError(f"give {cls.members_field} (a fixed number) or sizing (from the volume), not both; found both")
        return data

    @model_serializer(mode="wrap")
    def _dump(self, handler: Any, info: Any) -> dict:
        out = handler(self)
        if self.sizing is None:
            out.pop("sizing", None)
        else:
            out.pop(self.members_field, None)
            for key, value in self._stated.items():
                out[key] = list(value) if isinstance(value, tuple) else value
        return out

    def set_members(self, members: int, hours_share: float = 1.0) -> None:
        """Write the sized members, each working ``hours_share`` of the team's hours (during the
        scenario's validation only: the model is frozen for everyone else)."""
        object.__setattr__(self, self.members_field, int(members))
        if hours_share < 1.0:
            for key, value in self.part_time_hours(hours_share).items():
                self._stated.setdefault(key, getattr(self, key))
                object.__setattr__(self, key, value)

    def part_time_hours(self, share: float) -> dict:
        """The hours fields of a team whose members work ``share`` of the stated hours."""
        return {"hours_per_day": self.hours_per_day * share}
