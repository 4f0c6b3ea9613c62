"""The contact verb: every contact a lever makes goes through ``PatientAccount.contact``, and this
table says what applies to each kind of contact (``docs/model.md``, "Contacts").

| kind | carried by | what applies |
|---|---|---|
| ``reminder`` | a scenario channel | stands down while a plan or an agency holds the account; opt-out; the contact limits and quiet hours; counters (``contacts``, ``contacts_<channel>``, the caller's ``sent``); the channel's cost (``COST_CONTACT``); delivery days; the channel's reach; the response (:mod:`simlib.world.contact_response`: the patient learns of the bill, jump × contact weight × fatigue × age of the debt, the caller's ``reached``); opt-out and complaint draws. A call waits for the phone team (:mod:`simlib.world.capacities.phone_team`). |
| ``statement`` | a scenario channel | the bill itself, made once: its cost (``COST_STATEMENT``); until it arrives (delivery days), or if it never reaches, the patient pays at ``unreached_statement_share`` of the statement's intensity and learns of the bill on arrival. No limits, no opt-out, no contact counters (a bill is not a collection contact). |
| ``corrected_statement`` | none (the billing office) | always reaches; the response of a reminder with the caller's jump (learn of the bill, contact weight, fatigue, age). No cost, no counters. |
| ``agency`` | none (the agency, in its own name) | the caller's counter; an intensity jump × the patient's responsiveness on the agency's own clock (the agency's model: no fatigue; its cost is in its fee). |

A contact's result is an event the levers that listen (hook ``on_event``; the policies of
:mod:`simlib.policies`) are told of, with the channel's name: :data:`EVENTS`. Nothing is reported,
counted or drawn when no lever listens, so a strategy without a policy runs as before.

How a channel kind makes a reminder is the kind's business (:mod:`simlib.world.channels`); it gets
a :class:`Contact` with the details.
"""
from __future__ import annotations

from typing import NamedTuple

from simlib.core.ledger import Kind
from simlib.world import contact_response

#: the order of a statement's arrival among the actions due the same day
STATEMENT_ARRIVES_ORDER = 3


#: what the world reports of a contact (``emit``), by event name
EVENTS = {"sent": "a message was sent or a call placed",
          "opted_out": "a contact was not made: the patient opted out of the channel",
          "suppressed": "a contact was not made: the contact limits or quiet hours forbade it",
          "delivered": "a message reached the patient",
          "not_delivered": "a message did not reach the patient (the sender does not know yet)",
          "answered": "a call reached the patient (right-party contact; contact_outcomes says what came of it)",
          "no_answer": "a call was placed but did not reach the patient",
          "abandoned": "a call waited for an agent longer than the team's max_wait_days"}


def emit(acct, event: str, channel: str | None = None) -> None:
    """Tell every lever that listens (``on_event``) that ``event`` happened to ``acct`` now."""
    for hook in acct.world.event_hooks:
        hook(acct, event, channel)


class Contact(NamedTuple):
    """What a channel kind needs to make a reminder: the channel's name, the hour it is made
    (``None``: the account's own clock), the jump when it reaches (``None``: the channel's), the
    caller's counters of contacts made and contacts that reached (``None``: none) and what the
    caller does when a message reaches (``None``: nothing more)."""

    channel: str
    hour: float | None = None
    jump_per_day: float | None = None
    sent: str | None = None
    reached: str | None = None
    on_reach: object = None  # the caller's action(account, None) when a message reaches (a pay link)


def reminder(acct, channel: str, hour, jump_per_day, sent, reached):
    """A reminder (``PatientAccount.contact`` makes it inline, the same way: this is its table entry)."""
    return acct.contact(channel, "reminder", hour=hour, jump_per_day=jump_per_day, sent=sent, reached=reached)


def statement(acct, channel: str, hour, jump_per_day, sent, reached):
    world = acct.world
    ch = world.channels[channel]
    cfg, now = ch.cfg, acct.now
    acct.book(Kind.COST_STATEMENT, ch.cost_cents, now)
    unread_share = world.sc.behaviour.unreached_statement_share
    if unread_share < 1.0 and (cfg.delivery_days > 0.0 or not ch.reaches(acct)):
        acct.unaware = True
        acct.lam = unread_share * acct.initial_lam
        if cfg.delivery_days > 0.0 and ch.reaches(acct):
            acct.at(now + cfg.delivery_days, STATEMENT_ARRIVES_ORDER, _statement_arrives)
    return None


def _statement_arrives(acct, _) -> None:
    contact_response.learn_of_bill(acct)


def corrected_statement(acct, channel, hour, jump_per_day, sent, reached):
    contact_response.respond(acct, jump_per_day, acct.now)
    return None


def agency(acct, channel, hour, jump_per_day, sent, reached):
    if sent is not None:
        acct.world.count(sent)
    acct.jump(jump_per_day * acct.responsiveness)
    return None


#: kind -> how it is made (called as ``make(account, channel, hour, jump_per_day, sent, reached)``)
KINDS = {"reminder": reminder, "statement": statement, "corrected_statement": corrected_statement,
         "agency": agency}


def hour_of_day(day: float) -> float:
    """The hour (0–24) of a simulation day, rounded to a millionth of an hour (3.6 ms), so that a
    slot computed as ``floor(day) + 8/24`` reads as 8 h after the float round trips of the clock
    (otherwise 7.9999999 h falls in quiet hours ending at 8 and a notice is moved forever)."""
    return round((day % 1.0) * 24.0, 6) % 24.0
