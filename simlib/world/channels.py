"""Contact channels, registered by kind.

A scenario's ``channels:`` section names channels (email, sms, letter, ...) and gives each a
``kind``; the kind's class decides how a contact is made. A new way of reaching patients is one
small class::

    @register_channel_kind("visit")
    class HomeVisit(ContactKind):
        def contact(self, world, acct, request):
            ...            # return None, or a generator that yields SimPy events

``request`` is a :class:`~simlib.world.contacts.Contact` (the channel's name, the hour, the jump
when it reaches — ``None``: the channel's —, the caller's counters). Levers never call a kind:
they call the account's contact verb (:mod:`simlib.world.contacts`), which stands down while the
account is held and then asks the kind. ``contact`` returns ``None`` when the contact completes at once (no SimPy event is spent), or a
generator the account's process runs with ``yield from`` (it may wait for a resource).
"""
from __future__ import annotations

from simlib.world import contact_response
from simlib.world.contacts import emit, hour_of_day
from simlib.core.ledger import Kind
from simlib.core.settings import Fraction, NonNeg, Strict, cents

_KINDS: dict[str, type["ContactKind"]] = {}

#: a slot closer than this (about 9 ms) to now is now: the clock's float round trips must not move
#: a notice by a rounding error again and again
SAME_INSTANT_DAYS = 1e-7

#: counters of contacts; ``<name>`` is a channel's name in the scenario
COUNTERS = {"contacts": "contacts made (messages sent and calls placed)",
            "contacts_<name>": "messages sent by the channel", "reached_<name>": "messages that reached",
            **contact_response.COUNTERS}


def register_channel_kind(name: str):
    """Class decorator: make ``name`` usable as ``kind:`` in a scenario's channels."""
    def deco(cls):
        cls.kind_name = name
        _KINDS[name] = cls
        return cls
    return deco


def registered_channels() -> dict[str, type["ContactKind"]]:
    return dict(_KINDS)


class ContactKind:
    """Base class: a configured channel (``cfg``, the scenario's :class:`~simlib.scenario.schema.Channel`)
    at column ``index`` of the reach draws. ``contact(world, acct, request)`` gets the world
    (:class:`~simlib.model.engine.World`), the :class:`~simlib.world.account.PatientAccount` and the
    :class:`~simlib.world.contacts.Contact` request; ``cost_cents`` is one contact's cost."""

    kind_name = "?"

    def __init__(self, name: str, cfg, index: int):
        self.name, self.cfg, self.index = name, cfg, index
        self.cost_cents = cents(cfg.cost)

    def reaches(self, acct) -> bool:
        return acct.world.pop.reach_u[acct.i, self.index] < self.cfg.reach

    def opted_out(self, world, acct) -> bool:
        """Whether the patient opted out of this channel (the contact is then not made, and counted)."""
        if acct.opted_out_of and contact_response.opted_out(acct, self.index):
            world.count("opted_out_contacts")
            return True
        return False

    def respond(self, acct, now: float, jump_per_day: float | None = None) -> None:
        """The contact reached the patient at ``now``: the intensity jumps by ``jump_per_day`` (the
        channel's when ``None``; scaled by :func:`simlib.world.contact_response.respond`); they may
        opt out or complain."""
        contact_response.respond(acct, self.cfg.jump_per_day if jump_per_day is None else jump_per_day, now)
        contact_response.after_reach(acct, self.index, self.cfg)

    def contact(self, world, acct, step):
        raise NotImplementedError


@register_channel_kind("message")
class Message(ContactKind):
    """Email, SMS, WhatsApp, letter, formal demand: sent at once, reaches with probability ``reach``."""

    def __init__(self, name, cfg, index):
        super().__init__(name, cfg, index)
        self.sent_key, self.reached_key = f"contacts_{name}", f"reached_{name}"
        self._delivered = self.delivered

    def contact(self, world, acct, request):
        now = acct.now
        counters, limits, name, notice = world.counters, world.limits, self.name, self.cfg.notice
        hour = request.hour
        if hour is None and limits.quiet is not None:  # only the quiet hours read it (rounding it is not free)
            hour = hour_of_day(now)
        if not notice and self.opted_out(world, acct):  # an opt-out does not stop a legal notice
            if world.event_hooks:
                emit(acct, "opted_out", name)
            return None
        if not limits.message_allowed(acct, name, now, hour):
            if not notice:
                counters["suppressed_contacts"] += 1
                counters[f"suppressed_{name}"] += 1
                world.trace(acct.r, f"{name} suppressed", now)
                if world.event_hooks:
                    emit(acct, "suppressed", name)
                return None
            slot = limits.next_message_slot(acct, name, now)
            if slot > now + SAME_INSTANT_DAYS:  # a legally required notice: to the next allowed slot, never dropped
                counters["notices_moved"] += 1
                counters[f"moved_{name}"] += 1
                world.trace(acct.r, f"{name} moved to day {round(slot, 6):g}", now)
                acct.at(slot, 9, self._send_moved, request._replace(hour=None))
                return None
        if notice:
            limits.notice_day[acct.r] = now
        if limits.counts(name):
            acct.message_times.append(now)
        counters["contacts"] += 1
        counters[self.sent_key] += 1
        if request.sent is not None:
            counters[request.sent] += 1
        world.ledger.post(acct.r, now, Kind.COST_CONTACT, self.cost_cents)
        if world.event_hooks:
            emit(acct, "sent", self.name)
        if self.cfg.delivery_days > 0.0:
            acct.at(now + self.cfg.delivery_days, 9, self._delivered, request)
        else:
            self.delivered(acct, request)
        return None

    def _send_moved(self, acct, request) -> None:
        """A notice the limits moved: sent at its new slot unless the balance is paid or a plan or
        an agency now holds the account (the rule of every reminder)."""
        if acct.held_by is None and acct.bal > 0:
            acct.world.trace(acct.r, self.name, acct.now)
            self.contact(acct.world, acct, request)

    def delivered(self, acct, request) -> None:
        """The message arrives (``delivery_days`` after it was sent): it reaches the patient or not.
        A letter arriving while a plan or an agency holds the account moves nothing."""
        if acct.held_by is not None:
            return
        if self.reaches(acct):
            counters = acct.world.counters
            counters[self.reached_key] += 1
            if request.reached is not None:
                counters[request.reached] += 1
            self.respond(acct, acct.now, request.jump_per_day)
            if acct.world.event_hooks:
                emit(acct, "delivered", self.name)
            if request.on_reach is not None:
                request.on_reach(acct, None)
        elif acct.world.event_hooks:
            emit(acct, "not_delivered", self.name)


@register_channel_kind("call")
class Call(ContactKind):
    """A call placed by an agent of the phone team (a SimPy resource open in working hours)."""

    def contact(self, world, acct, request):
        if world.phone is None:
            raise RuntimeError("call step without a phone team")  # validation prevents this
        if self.opted_out(world, acct):
            if world.event_hooks:
                emit(acct, "opted_out", self.name)
            return None
        return world.phone.call(acct, self, request)


class Channel(Strict):
    """A contact channel: what a contact costs, who it reaches and how much it moves intensity."""

    cost: NonNeg = 0.0
    reach: Fraction = 1.0
    jump_per_day: NonNeg = 0.0
    kind: str = "message"
    delivery_days: NonNeg = 0.0      # sent -> read (post); the effect starts then
    opt_out_rate: Fraction = 0.0     # per contact that reaches: the patient opts out of the channel
    complaint_rate: Fraction = 0.0   # per contact that reaches: the patient complains
    #: a legally required notice (final notice / formal demand): contact limits move it to the
    #: next allowed slot instead of dropping it, and an opt-out does not stop it
    notice: bool = False


def default_channels() -> dict[str, Channel]:
    return {
        # delivery, opt-out and complaint rates: docs/model.md "Contacts" (sources and assumptions)
        "email": Channel(cost=0.05, reach=0.6, jump_per_day=0.004, opt_out_rate=0.003,
                         complaint_rate=0.0002),
        "sms": Channel(cost=0.03, reach=0.75, jump_per_day=0.008, opt_out_rate=0.01,
                       complaint_rate=0.0005),
        "whatsapp": Channel(cost=0.04, reach=0.45, jump_per_day=0.008, opt_out_rate=0.01,
                            complaint_rate=0.0005),
        "letter": Channel(cost=1.10, reach=0.95, jump_per_day=0.004, delivery_days=7.0,
                          complaint_rate=0.0002),
        "formal_demand": Channel(cost=8.0, reach=0.95, jump_per_day=0.010, delivery_days=7.0,
                                 complaint_rate=0.002, notice=True),
        "call": Channel(cost=0.0, reach=1.0, jump_per_day=0.03, kind="call", opt_out_rate=0.02,
                        complaint_rate=0.002),
    }
