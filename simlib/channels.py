"""Contact channels, registered by kind.

A scenario's ``channels:`` section names channels (email, sms, letter, ...) and gives each a
``kind``; the kind's class decides how a contact is made. A new way of reaching patients is one
small class::

    @register_channel_kind("visit")
    class HomeVisit(ContactKind):
        def contact(self, world, acct, step):
            ...            # return None, or a generator that yields SimPy events

``contact`` returns ``None`` when the contact completes at once (no SimPy event is spent), or a
generator the account's process runs with ``yield from`` (it may wait for a resource).
"""
from __future__ import annotations

from simlib.ledger import Kind

_KINDS: dict[str, type["ContactKind"]] = {}

#: counters of contacts; ``<name>`` is a channel's name in the scenario
COUNTERS = {"contacts": "contacts made (messages sent and calls placed)",
            "contacts_<name>": "messages sent by the channel", "reached_<name>": "messages that reached"}


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
    """Base class: a configured channel (``cfg``, the scenario's :class:`~simlib.params.Channel`)
    at column ``index`` of the reach draws. ``contact(world, acct, step)`` gets the world
    (:class:`~simlib.engine.World`), the :class:`~simlib.account.PatientAccount` and the ladder's
    :class:`~simlib.levers.reminders.Step`."""

    kind_name = "?"

    def __init__(self, name: str, cfg, index: int):
        self.name, self.cfg, self.index = name, cfg, index

    def reaches(self, acct) -> bool:
        return acct.world.pop.reach_u[acct.i, self.index] < self.cfg.reach

    def contact(self, world, acct, step):
        raise NotImplementedError


@register_channel_kind("message")
class Message(ContactKind):
    """Email, SMS, WhatsApp, letter, formal demand: sent at once, reaches with probability ``reach``."""

    def __init__(self, name, cfg, index):
        super().__init__(name, cfg, index)
        self.sent_key, self.reached_key = f"contacts_{name}", f"reached_{name}"
        self.cost_cents = int(round(cfg.cost_usd * 100))

    def contact(self, world, acct, step):
        now = acct.now
        hour = (now % 1.0) * 24.0 if step.hour is None else step.hour
        counters = world.counters
        if not world.limits.message_allowed(acct, now, hour):
            counters["suppressed_contacts"] += 1
            return None
        acct.message_times.append(now)
        counters["contacts"] += 1
        counters[self.sent_key] += 1
        world.ledger.post(acct.r, now, Kind.COST_CONTACT, self.cost_cents)
        if self.reaches(acct):
            counters[self.reached_key] += 1
            acct.jump(self.cfg.jump_per_day * acct.responsiveness)
        return None


@register_channel_kind("call")
class Call(ContactKind):
    """A call placed by an agent of the phone team (a SimPy resource open in working hours)."""

    def contact(self, world, acct, step):
        if world.phone is None:
            raise RuntimeError("call step without a phone team")  # validation prevents this
        return world.phone.call(acct, self)
