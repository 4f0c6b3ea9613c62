"""Contact limits: at most so many calls and messages per rolling 7 days, and quiet hours
(Reg F's 7-in-7; Chile's one call and two messages a week). Channels and the phone team ask
``world.limits`` before every contact; this lever provides it.

Each cap counts the channels the rule counts: the call cap counts calls (Reg F's 7-in-7,
12 CFR 1006.14(b)(2), concerns telephone calls); the message cap counts the channels listed in
``message_cap_channels``, by default the electronic messages only (message channels delivered at
once: email, SMS, WhatsApp), so that a text budget never crowds out a letter. Chile's Ley 21.320
counts mail with messages: list ``letter`` and ``formal_demand`` too. The statement is neither
limited nor counted. A channel a cap does not
count is not limited by it (quiet hours limit every contact).

A legally required notice (the formal demand, any channel or step marked ``notice``; the
statement is never limited) is never dropped: a cap or the quiet hours move it to the next
allowed slot (counted ``notices_moved`` and ``moved_<channel>``). Any other contact the limits
forbid is not made (``suppressed_contacts`` and ``suppressed_<channel>``)."""
from __future__ import annotations

from simlib.core.language import N_, _, short_number_text

import math
from typing import Annotated

from pydantic import Field, model_validator

from simlib.levers.base import Lever, register_lever
from simlib.world.contacts import hour_of_day
from simlib.core.settings import Strict
from simlib.core.words import id_words

Hour = Annotated[float, Field(ge=0, le=24)]


class ContactLimits(Strict):
    """Contact-frequency limits (Reg F 7-in-7; Chile 1 call + 2 messages a week) and quiet hours."""

    calls_per_7_days_max: Annotated[int, Field(ge=0)] | None = None
    messages_per_7_days_max: Annotated[int, Field(ge=0)] | None = None
    #: the channels ``messages_per_7_days_max`` counts; None: the electronic messages (message
    #: channels with ``delivery_days: 0`` that are not notices), so texts never crowd out letters
    message_cap_channels: list[str] | None = None
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


def default_counted(channels: dict) -> list[str]:
    """The channels a message cap counts by default: the electronic messages (message channels
    delivered at once, not a legally required notice): email, SMS, WhatsApp among the built-ins."""
    return [n for n, c in channels.items() if c.kind == "message" and c.delivery_days == 0.0 and not c.notice]


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
    title = N_("Contact limits")
    settings = ContactLimits
    default = ContactLimits()
    counters = {"suppressed_contacts": "planned contacts not made because of a limit or quiet hours",
                "suppressed_<name>": "planned contacts of the channel not made because of a limit or quiet hours",
                "notices_moved": "legally required notices moved to the next slot the limits allow",
                "moved_<name>": "notices of the channel moved to the next slot the limits allow"}

    @classmethod
    def active(cls, settings) -> bool:
        return True  # channels always ask; without limits every contact is allowed

    @classmethod
    def describe(cls, settings) -> str:
        parts, limits = [], []
        if settings.calls_per_7_days_max is not None:
            limits.append(_("at most {count} calls").format(count=settings.calls_per_7_days_max))
        if settings.messages_per_7_days_max is not None:
            counted = (_("at most {count} electronic messages") if settings.message_cap_channels is None
                       else _("at most {count} messages ({channels})"))
            limits.append(counted.format(count=settings.messages_per_7_days_max, channels=", ".join(
                id_words(c) for c in settings.message_cap_channels or ())))
        if limits:
            parts.append(_("{limits} per 7 days").format(limits=_(" and ").join(limits)))
        if settings.quiet_hours:
            parts.append(_("no contact {start}–{end} h").format(start=short_number_text(settings.quiet_hours[0]),
                                                              end=short_number_text(settings.quiet_hours[1])))
        return "; ".join(parts)

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        """A phone team working in the quiet hours would only place suppressed calls; the message
        cap counts message channels of the scenario."""
        out = []
        team, quiet = strategy.phone_team, settings.quiet_hours
        if team is not None and quiet and _overlaps_quiet(*team.hours, quiet):
            where = at.rsplit(".", 1)[0] + ".phone_team.hours"
            out.append(f"{where}: calls would fall in the quiet hours {list(quiet)}; "
                       f"found working hours {list(team.hours)}")
        messages = sorted(n for n, c in scenario.channels.items() if c.kind == "message")
        for name in settings.message_cap_channels or []:
            if name not in messages:
                out.append(f"{at}.message_cap_channels: expected message channels among {messages} "
                           f"(calls have their own cap); found {name!r}")
        return out

    def __init__(self, world, settings):
        super().__init__(world, settings)
        self.calls_max = settings.calls_per_7_days_max
        self.messages_max = settings.messages_per_7_days_max
        self.quiet = settings.quiet_hours
        chosen = settings.message_cap_channels
        #: the channels the message cap counts (and limits)
        self.counted = frozenset(
            chosen if chosen is not None else
            default_counted(world.sc.channels))
        #: day of the last legally required notice sent, by receivable (an ECA waits for it)
        self.notice_day: dict[int, float] = {}
        world.limits = self

    @staticmethod
    def _recent(times: list, now: float) -> int:
        return sum(1 for t in times if now - t < 7.0)

    def counts(self, channel: str) -> bool:
        """Whether the message cap counts (and so limits) ``channel``."""
        return channel in self.counted

    def message_allowed(self, acct, channel: str, now: float, hour: float) -> bool:
        if in_quiet_hours(hour, self.quiet):
            return False
        return (self.messages_max is None or channel not in self.counted
                or self._recent(acct.message_times, now) < self.messages_max)

    def next_message_slot(self, acct, channel: str, now: float) -> float:
        """The first time after ``now`` at which a message by ``channel`` is allowed: when enough
        counted messages have left the rolling 7 days, then out of the quiet hours."""
        t = now
        if self.messages_max and channel in self.counted:  # a cap of 0 never holds a notice back
            recent = sorted(x for x in acct.message_times if now - x < 7.0)
            if len(recent) >= self.messages_max:
                t = recent[len(recent) - self.messages_max] + 7.0
        if in_quiet_hours(hour_of_day(t), self.quiet):
            end = self.quiet[1] / 24.0
            t = math.floor(t) + end if hour_of_day(t) < self.quiet[1] else math.floor(t) + 1.0 + end
        return t

    def call_allowed(self, acct, now: float) -> bool:
        if self.quiet is not None and in_quiet_hours(hour_of_day(now), self.quiet):  # no hour to compute without
            return False
        return self.calls_max is None or self._recent(acct.call_times, now) < self.calls_max
