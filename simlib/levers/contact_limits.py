"""Contact limits: at most so many calls and messages per rolling 7 days, and quiet hours
(Reg F's 7-in-7; Chile's one call and two messages a week). A contact the limits forbid is not
made and is counted as ``suppressed_contacts``. Channels and the phone team ask ``world.limits``
before every contact; this lever provides it."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from simlib.levers.base import Lever, register_lever
from simlib.core.settings import Strict

Hour = Annotated[float, Field(ge=0, le=24)]


class ContactLimits(Strict):
    """Contact-frequency limits (Reg F 7-in-7; Chile 1 call + 2 messages a week) and quiet hours."""

    calls_per_7_days_max: Annotated[int, Field(ge=0)] | None = None
    messages_per_7_days_max: Annotated[int, Field(ge=0)] | None = None
    quiet_hours: tuple[Hour, Hour] | None = None

    @model_validator(mode="after")
    def _quiet_hours_not_swapped(self) -> "ContactLimits":
        """Quiet hours run from the evening to the morning ([21, 8] wraps midnight). A window that
        does not wrap and holds midday ([8, 21]) silences the working day: almost surely swapped."""
        if self.quiet_hours is not None:
            q0, q1 = self.quiet_hours
            if q0 < q1 and q0 <= 12.0 < q1:
                raise ValueError(f"quiet_hours [{q0:g}, {q1:g}] silence the middle of the day; quiet "
                                 f"hours run from evening to morning, e.g. [{q1:g}, {q0:g}]")
            if q0 == q1:
                raise ValueError(f"quiet_hours [{q0:g}, {q1:g}] is an empty window; expected [start, end] "
                                 "with start in the evening, e.g. [21, 8], or no quiet_hours")
        return self


def in_quiet_hours(hour: float, quiet: tuple[float, float] | None) -> bool:
    """Quiet hours [q0, q1) may wrap midnight (e.g. 21 → 8)."""
    if quiet is None:
        return False
    q0, q1 = quiet
    return (hour >= q0 or hour < q1) if q0 > q1 else (q0 <= hour < q1)


def _overlaps_quiet(h0: float, h1: float, quiet: tuple[float, float]) -> bool:
    """Whether working hours [h0, h1) meet the quiet hours (sampled every 1/96 of the shift)."""
    return any(in_quiet_hours(h0 + (h1 - h0) * k / 96, quiet) for k in range(96))


@register_lever
class ContactLimitsLever(Lever):
    key = "contact_limits"
    title = "Contact limits"
    settings = ContactLimits
    default = ContactLimits()
    counters = {"suppressed_contacts": "planned contacts not made because of a limit or quiet hours"}

    @classmethod
    def active(cls, settings) -> bool:
        return True  # channels always ask; without limits every contact is allowed

    @classmethod
    def describe(cls, settings) -> str:
        parts, limits = [], []
        if settings.calls_per_7_days_max is not None:
            limits.append(f"at most {settings.calls_per_7_days_max} calls")
        if settings.messages_per_7_days_max is not None:
            limits.append(f"at most {settings.messages_per_7_days_max} messages")
        if limits:
            parts.append(" and ".join(limits) + " per 7 days")
        if settings.quiet_hours:
            parts.append(f"no contact {settings.quiet_hours[0]:g}–{settings.quiet_hours[1]:g} h")
        return "; ".join(parts)

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        """A phone team working in the quiet hours would only place suppressed calls."""
        team, quiet = strategy.phone_team, settings.quiet_hours
        if team is not None and quiet and _overlaps_quiet(*team.hours, quiet):
            where = at.rsplit(".", 1)[0] + ".phone_team.hours"
            return [f"{where}: calls would fall in the quiet hours {list(quiet)}; "
                    f"found working hours {list(team.hours)}"]
        return []

    def __init__(self, world, settings):
        super().__init__(world, settings)
        self.calls_max = settings.calls_per_7_days_max
        self.messages_max = settings.messages_per_7_days_max
        self.quiet = settings.quiet_hours
        world.limits = self

    @staticmethod
    def _recent(times: list, now: float) -> int:
        return sum(1 for t in times if now - t < 7.0)

    def message_allowed(self, acct, now: float, hour: float) -> bool:
        if in_quiet_hours(hour, self.quiet):
            return False
        return self.messages_max is None or self._recent(acct.message_times, now) < self.messages_max

    def call_allowed(self, acct, now: float) -> bool:
        if in_quiet_hours((now % 1.0) * 24.0, self.quiet):
            return False
        return self.calls_max is None or self._recent(acct.call_times, now) < self.calls_max
