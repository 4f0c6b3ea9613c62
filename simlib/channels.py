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

from typing import TYPE_CHECKING

from simlib.ledger import Kind

if TYPE_CHECKING:  # pragma: no cover
    from simlib.engine import PatientAccount, World
    from simlib.params import Channel, Step

_KINDS: dict[str, type["ContactKind"]] = {}


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
    """Base class: a configured channel (``cfg``) at column ``index`` of the reach draws."""

    kind_name = "?"

    def __init__(self, name: str, cfg: "Channel", index: int):
        self.name, self.cfg, self.index = name, cfg, index

    def reaches(self, acct: "PatientAccount") -> bool:
        return acct.world.pop.reach_u[acct.i, self.index] < self.cfg.reach

    def contact(self, world: "World", acct: "PatientAccount", step: "Step"):
        raise NotImplementedError


@register_channel_kind("message")
class Message(ContactKind):
    """Email, SMS, WhatsApp, letter, formal demand: sent at once, reaches with probability ``reach``."""

    def contact(self, world, acct, step):
        now = acct.now
        hour = (now % 1.0) * 24.0 if step.hour is None else step.hour
        if not world.limits.message_allowed(acct, now, hour):
            world.count("suppressed_contacts")
            return None
        acct.message_times.append(now)
        world.count("contacts")
        world.count(f"contacts_{self.name}")
        world.ledger.post(acct.r, now, Kind.COST_CONTACT, world.cents(self.cfg.cost_usd))
        if self.reaches(acct):
            world.count(f"reached_{self.name}")
            acct.jump(self.cfg.jump_per_day * acct.responsiveness)
        return None


@register_channel_kind("call")
class Call(ContactKind):
    """A call placed by an agent of the phone team (a SimPy resource open in working hours)."""

    def contact(self, world, acct, step):
        if world.phone is None:
            raise RuntimeError("call step without a phone team")  # validation prevents this
        return world.phone.call(acct, self)
