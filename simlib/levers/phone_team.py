"""The phone team: agents who place the calls of a strategy's reminder ladder (the ``phone_team``
section). Its settings and words are here; the team itself — a SimPy resource with shifts, a
queue and costs — is the capacity :mod:`simlib.world.capacities.phone_team`, which channels of kind
``call`` use through ``world.phone``.

A call step is placed when the team works: when an account's schedule is built, a call due on a
closed day or outside the hours moves to the next working slot (same hour on the next working day
when that hour is within the hours, else the opening hour), so it never waits in the queue over a
weekend (counter ``calls_moved_to_working_hours``). Counters: ``calls``, ``calls_right_party``,
``calls_abandoned``."""
from __future__ import annotations

from simlib.core.language import N_, _, ngettext, short_number_text

from typing import Annotated, ClassVar

from pydantic import Field, model_validator

from simlib.world.capacities.phone_team import CALL_ATTEMPTS, PhoneTeamCapacity, next_open_slot
from simlib.levers.base import Assumption, Lever, register_lever
from simlib.core.rng import UniformRows
from simlib.core.settings import Fraction, NonNeg, Positive
from simlib.world.capacities.sizing import SizedTeam

Hour = Annotated[float, Field(ge=0, le=24)]


class PhoneTeam(SizedTeam):
    """Agents who place calls: a SimPy Resource open during working hours; ``agents``, or ``sizing``
    from the volume (:mod:`simlib.world.capacities.sizing`)."""

    members_field: ClassVar[str] = "agents"

    agents: Annotated[int, Field(ge=1)] = 2
    hours: tuple[Hour, Hour] = (9.0, 17.0)
    working_days: list[Annotated[int, Field(ge=0, le=6)]] = [0, 1, 2, 3, 4]
    call_minutes_mean: Positive = 8.0
    right_party_contact_rate: Fraction = 0.35
    cost_per_agent_hour: NonNeg = 28.0
    max_wait_days: Positive = 5.0

    @model_validator(mode="after")
    def _check(self) -> "PhoneTeam":
        if self.hours[0] >= self.hours[1]:
            raise ValueError("hours must be [start, end] with start < end")
        if not self.working_days:
            raise ValueError("working_days must list at least one day (0=Monday … 6=Sunday)")
        return self

    def part_time_hours(self, share: float) -> dict:
        """Part-time agents: the open hours shortened from their start to ``share`` of their length."""
        h0, h1 = self.hours
        return {"hours": (h0, h0 + (h1 - h0) * share)}



def _draw(rng, n: int, scenario) -> dict:
    """Per account and call attempt: the right-party uniform and the call's Exp(1) duration. The
    uniforms are held as their place in the stream (:class:`~simlib.core.rng.UniformRows`, the same
    numbers as drawn eagerly): only called accounts read them, 64 bytes for every account otherwise."""
    return {"rpc_u": UniformRows(rng, n, CALL_ATTEMPTS), "call_minutes_exp": rng.standard_exponential((n, CALL_ATTEMPTS))}


@register_lever
class PhoneTeamLever(Lever):
    key = "phone_team"
    title = N_("Phone team")
    random_draws = {"calls": _draw}
    assumptions = (Assumption("right_party_contact_rate", N_("Calls that reach the patient (right-party contact rate)"), 0.5, 1.5, upper=1.0),)
    settings = PhoneTeam | None
    counters = {"calls": "calls placed", "calls_right_party": "calls that reached the patient",
                "calls_abandoned": "calls dropped after waiting max_wait_days for an agent",
                "calls_moved_to_working_hours": "call steps due when the team is closed, moved to "
                                                "its next working slot"}

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        return ngettext("phone team of {agents} agent {start}–{end} h", "phone team of {agents} agents {start}–{end} h",
                        settings.agents).format(agents=settings.agents, start=short_number_text(settings.hours[0]),
                                                end=short_number_text(settings.hours[1]))

    def __init__(self, world, settings: PhoneTeam):
        super().__init__(world, settings)
        world.phone = PhoneTeamCapacity(world, settings)
        self.call_channels = {name for name, ch in world.sc.channels.items() if ch.kind == "call"}
        self.hours, self.working_days = tuple(settings.hours), tuple(settings.working_days)
        #: step day -> its working slot: accounts share their steps' days (≈ 30 calls a slot)
        self._slots: dict[float, float] = {}

    def schedule(self, acct, bill: float, items: list) -> None:
        """Move the call steps already scheduled (the ladder's hook runs first) to working slots."""
        calls, hours, days, slots = self.call_channels, self.hours, self.working_days, self._slots
        for k, (day, order, action, arg) in enumerate(items):
            if getattr(arg, "channel", None) in calls:
                slot = slots.get(day)
                if slot is None:
                    slot = slots[day] = next_open_slot(day, hours, days)
                if slot != day:
                    items[k] = (slot, order, action, arg)
                    self.world.count("calls_moved_to_working_hours")
