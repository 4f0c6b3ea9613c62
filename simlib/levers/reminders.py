"""Reminders: the statement's channel and the reminder ladder.

The statement goes out by ``statement_channel`` (its cost is booked). Each rung of the ``ladder``
contacts the patient by a channel on a day after the statement (or after the due date) at a given
hour; a step is for the patients its targeting selects (score band, balance band, payers). Both are
contacts through the account's contact verb (:mod:`simlib.world.contacts`: a message reaches with
the channel's probability and raises the intensity by its jump; a call waits for the phone team),
subject to the strategy's contact limits. Steps stand down while a plan or an agency holds the
account. Counters: ``contacts``, ``contacts_<channel>``, ``reached_<channel>`` (channels) and
``suppressed_contacts`` (limits).
"""
from __future__ import annotations

from simlib.core.language import N_, _, money_text, short_number_text

import math
from typing import Annotated, Literal

from pydantic import Field

from simlib.levers.base import Assumption, Lever, register_lever, unknown_payers
from simlib.core.settings import NonNeg, Strict, Targeting
from simlib.core.words import id_words


#: channels whose use needs the patient's consent and an opt-out (named as in the shipped channels)
TEXT_AND_CALL_CHANNELS = frozenset({"sms", "whatsapp", "call"})
#: the risk note of a strategy that texts or calls patients, by its statement or its reminders
#: the law on texts and calls (the US TCPA, …) is the jurisdiction's (simlib/scenario/jurisdictions)
TEXTS_AND_CALLS = (N_("Texts and calls"),
                   N_("Every text or e-mail needs a simple opt-out, and the contact limits and quiet hours set "
                   "in the scenario must hold in the real system."))


def _texts_and_calls(users: list[str]) -> list[tuple[str, list[str], str]]:
    return [(TEXTS_AND_CALLS[0], users, TEXTS_AND_CALLS[1])] if users else []


class Step(Strict):
    """One rung of a reminder ladder: on ``day`` after the statement (or due date), use ``channel``."""

    day: NonNeg
    channel: str
    hour: Annotated[float, Field(ge=0.0, lt=24.0)] | None = 10.0  # None: exactly `day` days later
    relative_to: Literal["statement", "due_date"] = "statement"
    target: Targeting = Targeting()


@register_lever
class Statement(Lever):
    key = "statement_channel"
    title = N_("Statement channel")
    settings = str
    default = "letter"

    @classmethod
    def active(cls, settings) -> bool:
        return True

    @classmethod
    def describe(cls, settings) -> str:
        return _("statement by {channel}").format(channel=id_words(settings))

    @classmethod
    def risk_notes(cls, strategies, scenario) -> list:
        return _texts_and_calls([k for k, s in strategies.items()
                                 if getattr(s, cls.key, None) in TEXT_AND_CALL_CHANNELS])

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        if settings not in scenario.channels:
            return [f"{at}: expected one of {sorted(scenario.channels)}; found {settings!r}"]
        return []

    def at_statement(self, acct) -> None:
        """The statement is sent, a contact of kind ``statement`` (:mod:`simlib.world.contacts`):
        until it arrives (``delivery_days``), or if it never reaches the patient, they pay at
        ``unreached_statement_share`` of the statement's intensity; a later contact that reaches
        them tells them of the bill."""
        acct.contact(self.cfg, "statement")


@register_lever
class Ladder(Lever):
    key = "ladder"
    title = N_("Reminders")
    assumptions = (Assumption("channels.*.jump_per_day", N_("Reminder effect (intensity jump per contact, all channels)"), 0.5, 1.5),)
    settings = list[Step]
    default = []
    order = 10  # step n has order 10 + n

    @classmethod
    def active(cls, settings) -> bool:
        return bool(settings)

    @classmethod
    def describe(cls, settings) -> str:
        steps = []
        for step in settings:
            t = step.target
            extra = []
            if t.score_min > 0 or t.score_max < 1:
                extra.append(_("score {low}–{high}").format(low=short_number_text(t.score_min),
                                                          high=short_number_text(t.score_max)))
            if t.balance_max is not None:
                extra.append(_("balance {low}–{high}").format(low=money_text(t.balance_min),
                                                            high=money_text(t.balance_max)))
            elif t.balance_min > 0:
                extra.append(_("balance ≥ {amount}").format(amount=money_text(t.balance_min)))
            if t.payers:
                extra.append(_("payers {payers}").format(payers=", ".join(id_words(p) for p in t.payers)))
            when = (_("day {day} {channel}") if step.relative_to == "statement" else
                    _("day {day} after due date {channel}")).format(day=short_number_text(step.day),
                                                                    channel=id_words(step.channel))
            steps.append(when + (f" ({'; '.join(extra)})" if extra else ""))
        return _("reminders: {steps}").format(steps=", ".join(steps)) if steps else ""

    @classmethod
    def risk_notes(cls, strategies, scenario) -> list:
        return _texts_and_calls([k for k, s in strategies.items()
                                 if {str(step.channel) for step in getattr(s, cls.key, None) or []}
                                 & TEXT_AND_CALL_CHANNELS])

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        out = []
        for i, step in enumerate(settings):
            if step.channel not in scenario.channels:
                out.append(f"{at}.{i}.channel: expected one of {sorted(scenario.channels)}; "
                           f"found {step.channel!r}")
            elif scenario.channels[step.channel].kind == "call" and strategy.phone_team is None:
                out.append(f"{at}.{i}: a call step needs a phone_team in the strategy")
            out.extend(unknown_payers(f"{at}.{i}.target.payers", step.target.payers, scenario))
        return out

    def __init__(self, world, settings):
        super().__init__(world, settings)
        #: the ladder with its static targeting unpacked: (order, step, from due date, day, hour,
        #: score min, score max, balance min USD, payers or None)
        self.steps = [(10 + n, s, s.relative_to == "due_date", s.day, s.hour, s.target.score_min,
                       s.target.score_max, s.target.balance_min,
                       None if s.target.payers is None else frozenset(s.target.payers))
                      for n, s in enumerate(settings)]
        self.call_channels = {name for name, ch in world.sc.channels.items() if ch.kind == "call"}
        self._step = self.step

    def schedule(self, acct, bill: float, items: list) -> None:
        """Steps whose static targeting (score band, payer, balance floor — balances only fall)
        excludes the account are left out."""
        world, i = self.world, acct.i
        score, payer, usd, due = world.score[i], world.payer_of[i], acct.bal / 100.0, acct.due_day
        action = self._step
        for order, step, from_due, day, hour, score_min, score_max, usd_min, payers in self.steps:
            if not (score_min <= score <= score_max) or usd < usd_min or (
                    payers is not None and payer not in payers):
                continue
            base = due if from_due else bill
            at = base + day if hour is None else math.floor(base + day) + hour / 24.0
            items.append((at, order, action, step))

    def step(self, acct, step: Step):
        if acct.held_by is not None:  # suspended on a plan, stopped at the agency
            return None
        t = step.target                 # score band and payer were checked when scheduling
        usd = acct.bal / 100.0
        if usd < t.balance_min or (t.balance_max is not None and usd > t.balance_max):
            return None
        world = self.world
        phone = world.phone
        if phone is not None and step.channel in self.call_channels:
            # a pause (a dispute) may have moved the step out of the team's hours: to its next slot
            slot = phone.next_open_slot(acct.now)
            if slot > acct.now:
                world.count("calls_moved_to_working_hours")
                acct.at(slot, 10, self._step, step)
                return None
        world.trace(acct.r, step.channel, acct.now)
        return acct.contact(step.channel, hour=step.hour)
