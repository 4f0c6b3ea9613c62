"""A rule-based collection policy: ``policy:`` on a strategy, a list of readable if/then rules
(``docs/policies.md``).

Each rule is a trigger, optional conditions and one action (:class:`simlib.policies.base.Action`)::

    policy:
      rules:
        - {when: no_payment, days: 14, after: letter, do: {contact: call}}
        - {when: promise_broken, do: {contact: call}}
        - {when: plan_requested, do: offer_plan}
        - {when: refusal, do: {final_notice: formal_demand}}
        - {when: no_payment, days: 30, after: final_notice, do: agency}

Triggers (``when``): ``no_payment`` — no payment ``days`` after ``after`` (the statement, a contact
sent on a channel, a final notice, or any event below); ``partial_payment``; ``statement``; any
event a contact or an outcome reports (:data:`TRIGGERS`: ``promise_broken``, ``refusal``,
``no_answer``, ``opted_out``, ``bounced``, ...). Conditions: ``target`` (score band, balance band,
payers, as a ladder step's), ``opted_out: <channel>`` (the patient opted out of it),
``last_outcome`` (the outcome of the last contact), ``channel`` (the event's channel). On an event,
the **first** rule that matches acts; a ``no_payment`` rule acts for itself when its time comes.
``delay_days`` puts the action later. Nothing happens while a plan or an agency holds the account,
after the balance is paid, after a ``stop`` or during a ``pause``; the rules compose with the
strategy's ladder and levers (the same contact verb, limits and costs). Counters: ``policy_*``.
"""
from __future__ import annotations

from simlib.core.language import N_, _, money_text, short_number_text

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from simlib.core.settings import NonNeg, Positive, Strict, Targeting
from simlib.core.words import id_words
from simlib.levers.base import register_lever, unknown_payers
from simlib.policies.base import ACTION_ORDER, EVENTS as POLICY_EVENTS, Action, PolicyLever, PolicySettings
from simlib.policies.outcomes import OUTCOMES
from simlib.world.contacts import EVENTS as CONTACT_EVENTS

#: what may trigger a rule: ``no_payment`` (timed) and every event a policy is told of
TRIGGERS = ("no_payment", "statement", "partial_payment", *CONTACT_EVENTS, *OUTCOMES,
            *(e for e in POLICY_EVENTS if e != "partial_payment"))
#: the triggers only the contact_outcomes section reports
NEEDS_OUTCOMES = tuple(o for o in OUTCOMES if o not in ("no_answer",))
#: the outcomes a contact ends in, remembered as the account's last (condition ``last_outcome``)
LAST_OUTCOMES = tuple(OUTCOMES)
_REMEMBERED = frozenset(LAST_OUTCOMES)  # ("plan_requested" among them)


class Rule(Strict):
    """A rule: a trigger ``when`` (for ``no_payment``: no payment ``days`` after ``after``, the
    statement, a channel or an event), conditions (``target``, ``channel``, ``opted_out``,
    ``last_outcome``) and the action ``do``, ``delay_days`` later (``docs/policies.md``)."""

    when: str
    days: Positive | None = None
    after: str = "statement"
    channel: str | None = None
    target: Targeting = Targeting()
    opted_out: str | None = None
    last_outcome: str | None = None
    delay_days: NonNeg = 0.0
    do: Action

    @field_validator("when")
    @classmethod
    def _trigger(cls, value: str) -> str:
        if value not in TRIGGERS:
            raise ValueError(f"expected a trigger among {', '.join(TRIGGERS)}; found {value!r}")
        return value

    @field_validator("last_outcome")
    @classmethod
    def _outcome(cls, value: str | None) -> str | None:
        if value is not None and value not in LAST_OUTCOMES:
            raise ValueError(f"expected an outcome among {', '.join(LAST_OUTCOMES)}; found {value!r}")
        return value

    @model_validator(mode="after")
    def _days(self) -> "Rule":
        if (self.when == "no_payment") != (self.days is not None):
            raise ValueError("days is required with when: no_payment, and only with it")
        return self

    def words(self) -> str:
        """The rule in the board's words, in the language in force ("no payment 30 days after the
        statement (balance ≥ $200) → call")."""
        if self.when == "no_payment":
            trigger = _("no payment {days} days after the {event}").format(days=short_number_text(self.days),
                                                                          event=id_words(self.after))
        else:
            trigger = _(id_words(self.when))
        cond = []
        t = self.target
        if t.score_min > 0 or t.score_max < 1:
            cond.append(_("score {low}–{high}").format(low=short_number_text(t.score_min),
                                                       high=short_number_text(t.score_max)))
        if t.balance_max is not None:
            cond.append(_("balance {low}–{high}").format(low=money_text(t.balance_min),
                                                         high=money_text(t.balance_max)))
        elif t.balance_min > 0:
            cond.append(_("balance ≥ {amount}").format(amount=money_text(t.balance_min)))
        if t.payers:
            cond.append(_("payers {payers}").format(payers=", ".join(id_words(p) for p in t.payers)))
        if self.channel:
            cond.append(_("on {channel}").format(channel=id_words(self.channel)))
        if self.opted_out:
            cond.append(_("opted out of {channel}").format(channel=id_words(self.opted_out)))
        if self.last_outcome:
            cond.append(_("last outcome {outcome}").format(outcome=_(id_words(self.last_outcome))))
        later = " " + _("{days} days later").format(days=short_number_text(self.delay_days)) if self.delay_days else ""
        return f"{trigger}{' (' + '; '.join(cond) + ')' if cond else ''} → {self.do.words()}{later}"


#: the triggers and outcomes in words (``id_words`` of :data:`TRIGGERS`), for the message catalogue
TRIGGER_WORDS = (N_("no payment"), N_("statement"), N_("partial payment"), N_("sent"), N_("opted out"),
                 N_("suppressed"), N_("delivered"), N_("not delivered"), N_("answered"), N_("no answer"),
                 N_("abandoned"), N_("right party"), N_("promise"), N_("plan requested"), N_("dispute"),
                 N_("assistance application"), N_("refusal"), N_("promise kept"), N_("promise broken"),
                 N_("bounced"), N_("returned"), N_("inbound"), N_("final notice"), N_("barrier crossed"))


class RulesPolicy(PolicySettings):
    """If/then rules on each account's events (``docs/policies.md``): on an event the first rule
    that matches acts; at most ``max_actions_per_account`` actions per account."""

    rules: Annotated[list[Rule], Field(min_length=1, max_length=100)]


@register_lever
class RulesPolicyLever(PolicyLever):
    key = "policy"
    title = N_("Collection rules")
    settings = RulesPolicy | None

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        return _("policy: {rules}").format(rules="; ".join(r.words() for r in settings.rules))

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        if settings is None:
            return []
        out, channels = [], scenario.channels
        after_ok = set(TRIGGERS) - {"no_payment"}
        for k, rule in enumerate(settings.rules):
            where = f"{at}.rules.{k}"
            out.extend(rule.do.problems(strategy, scenario, f"{where}.do"))
            if rule.when == "no_payment" and rule.after not in after_ok and rule.after not in channels:
                out.append(f"{where}.after: expected the statement, a channel among {sorted(channels)} or "
                           f"an event; found {rule.after!r}")
            for field in ("channel", "opted_out"):
                name = getattr(rule, field)
                if name is not None and name not in channels:
                    out.append(f"{where}.{field}: expected one of {sorted(channels)}; found {name!r}")
            needs = [f for f, v in (("when", rule.when), ("last_outcome", rule.last_outcome),
                                    ("after", rule.after if rule.when == "no_payment" else None))
                     if v in NEEDS_OUTCOMES]
            if needs and strategy.contact_outcomes is None:
                out.append(f"{where}.{needs[0]}: the outcome {getattr(rule, needs[0])!r} is reported only with a "
                           f"contact_outcomes section in the strategy (contact_outcomes: {{}} for the "
                           f"documented defaults); found none")
            out.extend(unknown_payers(f"{where}.target.payers", rule.target.payers, scenario))
        return out

    def __init__(self, world, settings):
        super().__init__(world, settings)
        rules = settings.rules
        self.on = {}      # event -> the rules it triggers, in order
        self.timed = {}   # event or channel -> the no_payment rules timed from it
        for rule in rules:
            if rule.when == "no_payment":
                self.timed.setdefault(rule.after, []).append(rule)
            else:
                self.on.setdefault(rule.when, []).append(rule)
        self.channel_index = {name: ch.index for name, ch in world.channels.items()}
        self._no_payment = self.no_payment

    def matches(self, acct, rule: Rule, channel) -> bool:
        world, i, t = self.world, acct.i, rule.target
        usd = acct.bal / 100.0
        if not (t.score_min <= world.score[i] <= t.score_max) or usd < t.balance_min or (
                t.balance_max is not None and usd > t.balance_max):
            return False
        if t.payers is not None and world.payer_of[i] not in t.payers:
            return False
        if rule.channel is not None and channel != rule.channel:
            return False
        if rule.opted_out is not None and not acct.opted_out_of >> self.channel_index[rule.opted_out] & 1:
            return False
        return rule.last_outcome is None or self.state(acct).last_outcome == rule.last_outcome

    def event(self, acct, event: str, channel) -> None:
        """``event`` happened: time the ``no_payment`` rules that count from it, then the first rule
        it triggers that matches acts."""
        if event in _REMEMBERED:
            st = self.state(acct)
            st.last_outcome = event
            if event == "plan_requested":
                st.requested_plan = True
        timed = self.timed.get(channel if event == "sent" else event)
        if timed:
            for rule in timed:
                acct.at(acct.now + rule.days, ACTION_ORDER - 1, self._no_payment, (rule, acct.k))
        rules = self.on.get(event)
        if rules is None or self.idle(acct):
            return
        for rule in rules:
            if self.matches(acct, rule, channel):
                self.act(acct, rule.do, rule.delay_days, rule.when)
                return

    def no_payment(self, acct, argument) -> None:
        rule, payments = argument
        if acct.k == payments and not self.idle(acct) and self.matches(acct, rule, None):
            self.act(acct, rule.do, rule.delay_days, f"no payment {rule.days:g} days after {rule.after}")

    # ------------------------------------------------------------------ hooks
    def at_statement(self, acct) -> None:
        self.event(acct, "statement", None)

    def after_payment(self, acct) -> None:
        if acct.bal > 0:
            self.event(acct, "partial_payment", None)

    def on_event(self, acct, event: str, channel) -> None:
        self.event(acct, event, channel)
