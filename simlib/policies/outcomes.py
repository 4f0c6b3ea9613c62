"""Contact outcomes: what a call that reaches the patient ends in, promises kept or broken, and
messages the hospital learns did not arrive (strategy section ``contact_outcomes``; ``docs/policies.md``).

The world reports a contact's physical result (:data:`simlib.world.contacts.EVENTS`: a call
``answered`` or not (``no_answer``), a message delivered or not). With ``contact_outcomes`` set, this lever turns them
into the outcomes a collector records, each an event every policy sees, a counter
``outcome_<name>`` and a traced event:

- a call that reaches the right party (``answered``) ends in a **promise to pay**
  (``promise_rate``), a **plan requested** (``plan_request_rate``), a **dispute** (``dispute_rate``),
  a **financial-assistance application** (``assistance_rate``), a **refusal** (``refusal_rate``), or
  nothing more (``right_party``); a call that does not reach is ``no_answer``;
- a promise names a date ``promise_days`` later; on it, if the balance is still open and the
  account is not held by a plan or an agency, the patient keeps it with probability
  ``min(1, promise_keep_rate × propensity ** promise_keep_elasticity)`` (the propensity to pay has
  mean 1: a likelier payer keeps more promises) and pays the balance (``promise_kept``), or breaks
  it (``promise_broken``);
- a message that does not reach the patient comes back with probability ``bounce_share`` (an email
  or a text, at once: ``bounced``) or ``return_share`` (a channel with delivery days, a letter,
  ``return_days`` after it was due: ``returned``); otherwise the hospital never learns;
- a patient may contact the hospital (``inbound``: calls in, replies): with probability
  ``inbound_share`` once, an exponential time of mean ``inbound_days_mean`` after the statement, if
  the balance is still open and no plan or agency holds it. The conversation ends in an outcome cut
  as a right-party call's. The patient's own initiative is already in their payment intensity, so an
  inbound contact moves no intensity and a promise made on it pays nothing of itself: on the date
  it is ``promise_kept`` if the balance has been paid, ``promise_broken`` if not.

An outcome is an event: what follows is the policy's business (its rules), except the promise's
payment. Every draw is a pre-drawn uniform of the account (stream ``contact_outcomes``), indexed by
the account's count of conversations, promises and undelivered messages, so every strategy meets
the same patients (common random numbers); the inbound contact's whether, when and outcome come
from a stream of their own (``contact_outcomes_inbound``). Defaults are declared assumptions (``docs/policies.md``).
"""
from __future__ import annotations

import math

from simlib.core.language import N_

from pydantic import model_validator

from simlib.core.ledger import Kind
from simlib.core.settings import Fraction, NonNeg, Positive, Strict
from simlib.levers.base import Assumption, Lever, register_lever
from simlib.world.contacts import emit

#: pre-drawn uniforms per account for each kind of draw (conversations, promises, undelivered messages;
#: reused cyclically after that many, like the phone team's call draws)
DRAWS_PER_ACCOUNT = 8
#: the order of a promise's date, or a returned letter, among the actions due the same day
OUTCOME_ORDER = 59

#: a right-party conversation's outcomes, in the order the uniform is cut
CONVERSATION = ("promise", "plan_requested", "dispute", "assistance_application", "refusal")
OUTCOMES = {"no_answer": "a call placed that did not reach the patient",
            "right_party": "a call reached the patient, who made no commitment",
            "promise": "the patient promised to pay the balance on a date",
            "plan_requested": "the patient asked for a payment plan",
            "dispute": "the patient disputed the bill",
            "assistance_application": "the patient applied for financial assistance",
            "refusal": "the patient refused to pay",
            "promise_kept": "the patient paid the balance on the promised date",
            "promise_broken": "the promised date passed without the payment",
            "bounced": "an email or text came back undelivered",
            "returned": "a letter came back undelivered",
            "inbound": "the patient contacted the hospital about the bill (called in or replied)"}

#: each outcome's counter
_COUNTER = {name: f"outcome_{name}" for name in OUTCOMES}


class ContactOutcomes(Strict):
    """What contacts end in (``docs/policies.md``). The five rates are shares of right-party calls,
    summing to at most 1 (the rest: reached, no commitment); a promise falls ``promise_days`` later
    and is kept with ``min(1, promise_keep_rate × propensity ** promise_keep_elasticity)``; of the
    messages that do not reach, ``bounce_share`` (no delivery days) bounce at once and
    ``return_share`` (letters) come back ``return_days`` after they were due; ``inbound_share`` of
    patients contact the hospital once, ``inbound_days_mean`` after the statement on average."""

    promise_rate: Fraction = 0.30
    plan_request_rate: Fraction = 0.08
    dispute_rate: Fraction = 0.04
    assistance_rate: Fraction = 0.04
    refusal_rate: Fraction = 0.10
    promise_days: Positive = 7.0
    promise_keep_rate: Fraction = 0.60
    promise_keep_elasticity: NonNeg = 0.5
    bounce_share: Fraction = 0.5
    return_share: Fraction = 0.5
    return_days: NonNeg = 14.0
    #: USC Schaeffer survey (Duffy et al., JAMA Health Forum 2024): about 1 in 5 adults had a
    #: troubling medical bill in the past year and about 3 in 5 of them contacted the billing office
    inbound_share: Fraction = 0.12
    #: declared assumption: a month after the statement on average (the patient sets the bill
    #: aside, then calls with questions)
    inbound_days_mean: Positive = 30.0

    @model_validator(mode="after")
    def _sum(self) -> "ContactOutcomes":
        total = sum(self.rates())
        if total > 1.0 + 1e-12:
            raise ValueError(f"promise_rate + plan_request_rate + dispute_rate + assistance_rate + "
                             f"refusal_rate must be <= 1 (shares of right-party calls); found {total:g}")
        return self

    def rates(self) -> tuple[float, ...]:
        return (self.promise_rate, self.plan_request_rate, self.dispute_rate, self.assistance_rate,
                self.refusal_rate)


def conversation_outcome(cfg: ContactOutcomes, u: float) -> str:
    """The outcome a conversation's uniform ``u`` falls in (cut in the order of :data:`CONVERSATION`)."""
    edge = 0.0
    for name, rate in zip(CONVERSATION, cfg.rates()):
        edge += rate
        if u < edge:
            return name
    return "right_party"


def keep_probability(cfg: ContactOutcomes, propensity: float) -> float:
    return min(1.0, cfg.promise_keep_rate * propensity ** cfg.promise_keep_elasticity)


class _Counts:
    __slots__ = ("talks", "promises", "undelivered")

    def __init__(self):
        self.talks = self.promises = self.undelivered = 0


@register_lever
class ContactOutcomesLever(Lever):
    key = "contact_outcomes"
    title = N_("Contact outcomes")
    glossary = ((N_("Promise to pay"), N_("A patient reached by a call promises to pay the balance on a date; "
                 "the promise is kept or broken, and a broken promise is followed up.")),)
    settings = ContactOutcomes | None
    assumptions = (Assumption("promise_rate", N_("Promises to pay per right-party call"), 0.5, 1.5, upper=1.0),
                   Assumption("promise_keep_rate", N_("Promises kept"), 0.5, 1.5, upper=1.0))
    counters = {f"outcome_{name}": meaning for name, meaning in OUTCOMES.items()}

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        return (f"contact outcomes recorded: of right-party calls {settings.promise_rate * 100:g} % promise "
                f"to pay within {settings.promise_days:g} days (about {settings.promise_keep_rate * 100:g} % "
                f"kept), {settings.plan_request_rate * 100:g} % ask for a plan, "
                f"{settings.refusal_rate * 100:g} % refuse")

    def __init__(self, world, settings):
        super().__init__(world, settings)
        self.u = world.pop.draws("contact_outcomes", lambda rng, n: rng.random((n, 3, DRAWS_PER_ACCOUNT)))
        # whether and when each patient contacts the hospital, and that conversation's outcome: a
        # stream of its own, so inbound contacts leave the outcomes of the hospital's calls as they were
        self.inbound_u = world.pop.draws("contact_outcomes_inbound", lambda rng, n: rng.random((n, 3)))
        self.counts: dict[int, _Counts] = {}
        self._promise_due, self._returned = self.promise_due, self.returned
        self._inbound, self._inbound_promise_due = self.inbound, self.inbound_promise_due

    def _counts(self, acct) -> _Counts:
        c = self.counts.get(acct.i)
        if c is None:
            c = self.counts[acct.i] = _Counts()
        return c

    def report(self, acct, outcome: str, channel: str | None, tell: bool = True) -> None:
        """Count and trace ``outcome`` and (``tell``) tell every listening lever."""
        world = self.world
        world.counters[_COUNTER[outcome]] += 1
        if world.events is not None:
            world.trace(acct.r, outcome.replace("_", " "), acct.now)
        if tell:
            emit(acct, outcome, channel)

    def converse(self, acct, channel, u: float | None = None) -> str:
        """A conversation with the patient: its outcome (from ``u``, or the account's next
        conversation uniform), counted, traced and told."""
        if u is None:
            c = self._counts(acct)
            u = self.u[acct.i, 0, c.talks % DRAWS_PER_ACCOUNT]
            c.talks += 1
        outcome = conversation_outcome(self.cfg, u)
        self.report(acct, outcome, channel)
        return outcome

    def at_statement(self, acct) -> None:
        """Schedule the patient's own contact, if they make one."""
        cfg, u = self.cfg, self.inbound_u[acct.i]
        if u[0] < cfg.inbound_share:
            days = -math.log1p(-float(u[1])) * cfg.inbound_days_mean
            acct.at(acct.now + days, OUTCOME_ORDER, self._inbound, None)

    def inbound(self, acct, _) -> None:
        """The patient contacts the hospital: an ``inbound`` event, then the conversation's outcome."""
        if acct.bal <= 0 or acct.held_by is not None:
            return
        self.report(acct, "inbound", None)
        if self.converse(acct, None, float(self.inbound_u[acct.i, 2])) == "promise":
            acct.at(acct.now + self.cfg.promise_days, OUTCOME_ORDER, self._inbound_promise_due, None)

    def inbound_promise_due(self, acct, _) -> None:
        """An inbound promise's date: kept if the patient has paid the balance, broken if not (it pays
        nothing of itself: see the module doc)."""
        if acct.held_by is not None:
            return
        self.report(acct, "promise_kept" if acct.bal <= 0 else "promise_broken", None)

    def on_event(self, acct, event: str, channel) -> None:
        cfg, c = self.cfg, None
        if event == "answered":
            if self.converse(acct, channel) == "promise":
                acct.at(acct.now + cfg.promise_days, OUTCOME_ORDER, self._promise_due, channel)
        elif event == "no_answer":
            self.report(acct, "no_answer", channel, tell=False)  # the world told every lever already
        elif event == "not_delivered":
            c = self._counts(acct)
            u = self.u[acct.i, 2, c.undelivered % DRAWS_PER_ACCOUNT]
            c.undelivered += 1
            ch = self.world.sc.channels[channel]
            if ch.delivery_days > 0.0:
                if u < cfg.return_share:
                    acct.at(acct.now + cfg.return_days, OUTCOME_ORDER, self._returned, channel)
            elif u < cfg.bounce_share:
                self.report(acct, "bounced", channel)

    def promise_due(self, acct, channel) -> None:
        """The promised date: kept (the balance is paid) or broken, if there is still a balance the
        hospital collects itself."""
        if acct.bal <= 0 or acct.held_by is not None:
            return
        c = self._counts(acct)
        u = self.u[acct.i, 1, c.promises % DRAWS_PER_ACCOUNT]
        c.promises += 1
        if u < keep_probability(self.cfg, self.world.propensity[acct.i]):
            acct.reduce(Kind.PAYMENT_PATIENT, acct.bal, acct.now)
            self.report(acct, "promise_kept", channel)
        else:
            self.report(acct, "promise_broken", channel)

    def returned(self, acct, channel) -> None:
        if acct.bal > 0:
            self.report(acct, "returned", channel)
