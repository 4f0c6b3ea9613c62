"""What a collection policy is: a lever that reacts to what happens to each account.

A policy is a lever (:mod:`simlib.levers.base`) that listens to the account's events (hook
``on_event``: a contact's result, :data:`simlib.world.contacts.EVENTS`, and the outcomes of
:mod:`simlib.policies.outcomes`), its payments (``after_payment``) and its statement, and answers
with **actions** (:class:`Action`): a contact on a channel, a final notice, a payment-plan offer, a
settlement discount, a placement with the agency, a pause, a stop. Every action is an action of
the account's own schedule (``account.at``), so a contact goes through the account's contact verb
(reach, opt-out, contact limits, fatigue, costs, counters) and a call waits for the phone team like
any ladder step; a plan or a placement is the strategy's own ``payment_plan`` or ``agency`` lever.

:class:`PolicyLever` holds what every policy needs: the per-account state (:class:`AccountState`),
:meth:`PolicyLever.act` and a cap on actions per account (an if/then policy can loop: a refused
contact that triggers the same contact). A new policy is one file: a subclass with a ``key`` and
``settings``, registered with ``@register_lever`` (``docs/policies.md``).
"""
from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, NamedTuple

from pydantic import Field, model_validator

from simlib.core.language import N_, _, short_number_text
from simlib.core.ledger import Kind
from simlib.core.settings import Positive, Strict
from simlib.core.words import id_words
from simlib.levers.base import Lever, registered_levers, uses
from simlib.levers.prompt_pay_discount import discount_response
from simlib.levers.takeup import uptake_probability
from simlib.world.capacities.phone_team import next_open_slot
from simlib.world.contacts import emit

#: the order of a policy's actions among the actions due the same day (after the ladder's steps)
ACTION_ORDER = 60

#: the policy's own events, reported to every listening lever (``emit``)
EVENTS = {"final_notice": "a final notice was sent",
          "partial_payment": "the patient paid part of the balance",
          "barrier_crossed": "the estimated repayment intensity fell below the barrier"}

COUNTERS = {"policy_actions": "actions a policy took (all kinds)",
            "policy_contacts": "contacts a policy made (final notices included)",
            "final_notices": "final notices sent",
            "policy_plan_offers": "payment plans a policy offered",
            "policy_plans_taken": "payment plans a policy's offer started",
            "settlement_offers": "settlement discounts offered",
            "settlements": "balances settled in full at the offered discount",
            "policy_placements": "accounts a policy placed with the agency",
            "policy_pauses": "pauses a policy started", "policy_stops": "accounts a policy stopped acting on",
            "policy_actions_capped": "actions not taken: the account reached the policy's cap"}

ACTION_NAMES = ("contact", "final_notice", "offer_plan", "settlement_discount", "agency", "pause_days", "stop")


class Action(Strict):
    """One action, exactly one field set: ``contact: <channel>``, ``final_notice: <channel>``,
    ``offer_plan: true``, ``settlement_discount: <share off>`` (open ``settlement_days``),
    ``agency: true``, ``pause_days: <days>``, ``stop: true``. A bare word is the action with no
    argument (``do: agency``, ``do: offer_plan``, ``do: stop``)."""

    contact: str | None = None
    final_notice: str | None = None
    offer_plan: bool = False
    settlement_discount: Annotated[float, Field(gt=0.0, lt=1.0)] | None = None
    settlement_days: Positive = 30.0
    agency: bool = False
    pause_days: Positive | None = None
    stop: bool = False

    @model_validator(mode="before")
    @classmethod
    def _word(cls, data: Any) -> Any:
        if isinstance(data, str):
            if data not in ("offer_plan", "agency", "stop"):
                raise ValueError(f"expected an action (offer_plan, agency, stop, or a mapping such as "
                                 f"{{contact: call}}); found {data!r}")
            return {data: True}
        return data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        """The JSON Schema (editor completion) accepts the bare words too."""
        schema = handler(core_schema)
        return {"anyOf": [{"type": "string", "enum": ["offer_plan", "agency", "stop"]}, schema]}

    @model_validator(mode="after")
    def _one(self) -> "Action":
        chosen = [n for n in ACTION_NAMES if getattr(self, n) not in (None, False)]
        if len(chosen) != 1:
            raise ValueError(f"expected exactly one action among {', '.join(ACTION_NAMES)}; found "
                             f"{chosen or 'none'}")
        return self

    @property
    def name(self) -> str:
        return next(n for n in ACTION_NAMES if getattr(self, n) not in (None, False))

    def words(self) -> str:
        name = self.name
        if name == "contact":
            return id_words(self.contact)
        if name == "final_notice":
            return _("final notice by {channel}").format(channel=id_words(self.final_notice))
        if name == "settlement_discount":
            return _("offer to settle at {share} % off for {days} days").format(
                share=short_number_text(self.settlement_discount * 100), days=short_number_text(self.settlement_days))
        if name == "pause_days":
            return _("pause {days} days").format(days=short_number_text(self.pause_days))
        return _({"offer_plan": N_("offer a payment plan"), "agency": N_("place with the agency"),
                  "stop": N_("stop")}[name])

    def problems(self, strategy: Any, scenario: Any, at: str) -> list[str]:
        """What this action needs from the rest of the strategy and the scenario."""
        out = []
        for field in ("contact", "final_notice"):
            channel = getattr(self, field)
            if channel is None:
                continue
            if channel not in scenario.channels:
                out.append(f"{at}.{field}: expected one of {sorted(scenario.channels)}; found {channel!r}")
            elif scenario.channels[channel].kind == "call" and strategy.phone_team is None:
                out.append(f"{at}.{field}: a call needs a phone_team in the strategy")
        if self.offer_plan and strategy.payment_plan is None:
            out.append(f"{at}.offer_plan: expected a payment_plan section in the strategy (the plan's "
                       f"terms); found none")
        if self.agency and strategy.agency is None:
            out.append(f"{at}.agency: expected an agency section in the strategy (its fee and "
                       f"recall); found none")
        return out


class ActionRecord(NamedTuple):
    """One action a policy took: the receivable, the days since its statement, the action's name
    (:data:`ACTION_NAMES`), its channel ("" for none), the balance (cents) and the payments made so
    far when it was taken, the last contact outcome the policy heard ("" for none) and the
    channel's cost (cents; agent time, discounts and fees are in the ledger, not here)."""

    receivable: int
    days_since_statement: float
    action: str
    channel: str
    balance_cents: int
    payments: int
    last_outcome: str
    channel_cost_cents: int


class PolicySettings(Strict):
    """What every policy has: the most actions it takes on one account."""

    max_actions_per_account: Annotated[int, Field(ge=1, le=1000)] = 20


class AccountState:
    """A policy's memory of one account: actions taken, pause, stop, the last contact's outcome."""

    __slots__ = ("actions", "paused_until", "stopped", "last_outcome", "requested_plan", "extra")

    def __init__(self):
        self.actions, self.paused_until, self.stopped = 0, -math.inf, False
        self.last_outcome: str | None = None
        self.requested_plan = False
        self.extra: Any = None  # a policy's own per-account value


class PolicyLever(Lever):
    """Base class of a policy: per-account state and the actions (see the module doc)."""

    settings: ClassVar[Any] = None
    counters = COUNTERS

    def __init__(self, world, settings):
        super().__init__(world, settings)
        self.states: dict[int, AccountState] = {}
        self.call_channels = {name for name, ch in world.sc.channels.items() if ch.kind == "call"}
        self._run, self._settlement_ends = self.run_action, self.settlement_ends
        #: a list to record every action taken (:class:`ActionRecord`), set by who wants the
        #: record (the report's :mod:`simlib.report.policy_data`); None: nothing is recorded
        self.record: list | None = None
        #: id of an action -> (the action, its name, its channel, whether a call): :meth:`_named`
        self._action_names: dict[int, tuple] = {}

    def state(self, acct) -> AccountState:
        try:
            return self.states[acct.i]
        except KeyError:
            st = self.states[acct.i] = AccountState()
            return st

    def idle(self, acct) -> bool:
        """Whether the policy stands down on this account now: paid, held by a plan or an agency,
        stopped or paused."""
        if acct.bal <= 0 or acct.held_by is not None:
            return True
        st = self.state(acct)
        return st.stopped or acct.now < st.paused_until

    def act(self, acct, action: Action, delay_days: float = 0.0, why: str = "") -> None:
        """Schedule ``action`` on the account ``delay_days`` from now (the cap counts it now)."""
        st = self.state(acct)
        if st.actions >= self.cfg.max_actions_per_account:
            self.world.count("policy_actions_capped")
            return
        st.actions += 1
        acct.at(acct.now + delay_days, ACTION_ORDER, self._run, (action, why))

    def _named(self, action: Action) -> tuple:
        """(the action, its name, its channel if a contact (else None), whether that channel is a
        call the phone team places): looked up once an action (its id is not reused while the
        world lives: the action is kept here)."""
        name = action.name
        channel = action.contact or action.final_notice if name in ("contact", "final_notice") else None
        named = (action, name, channel, self.world.phone is not None and channel in self.call_channels)
        self._action_names[id(action)] = named
        return named

    def run_action(self, acct, argument):
        """An action falls due: it does nothing if the policy stands down on the account then."""
        action, why = argument
        if self.idle(acct):
            return None
        named = self._action_names.get(id(action)) or self._named(action)
        world, name, channel, now = self.world, named[1], named[2], acct.now
        if channel is not None:
            if named[3]:
                phone = world.phone
                slot = next_open_slot(now, phone.hours, phone.working_days)
                if slot > now:  # to the team's next working hour
                    acct.at(slot, ACTION_ORDER, self._run, argument)
                    return None
            if self.record is not None:
                self._record(acct, name, channel)
            counters = world.counters
            counters["policy_actions"] += 1
            counters["policy_contacts"] += 1
            if world.events is not None:
                world.trace(acct.r, f"policy {name.replace('_', ' ')} {channel} ({why})", now)
            if name == "final_notice":
                counters["final_notices"] += 1
            gen = acct.contact(channel, hour=None)
            if name == "final_notice" and world.event_hooks:
                emit(acct, "final_notice", channel)
            return gen
        if self.record is not None:
            self._record(acct, name, None)
        world.count("policy_actions")
        world.trace(acct.r, f"policy {action.words()} ({why})", now)
        if name == "offer_plan":
            self._offer_plan(acct)
        elif name == "settlement_discount":
            self._offer_settlement(acct, action)
        elif name == "agency":
            world.count("policy_placements")
            world.levers["agency"].place(acct, None)
        elif name == "pause_days":
            world.count("policy_pauses")
            self.state(acct).paused_until = now + action.pause_days
        else:
            world.count("policy_stops")
            self.state(acct).stopped = True
        return None

    def _record(self, acct, name: str, channel: str | None) -> None:
        """Append the action about to be taken, with the account's state then, to :attr:`record`."""
        cost = self.world.channels[channel].cost_cents if channel is not None else 0
        self.record.append(ActionRecord(acct.r, acct.now - acct.billed_day, name, channel or "", acct.bal,
                                        acct.k, self.state(acct).last_outcome or "", cost))

    # ------------------------------------------------------------------ actions that are offers
    def _offer_plan(self, acct) -> None:
        """The strategy's payment plan, offered now: a patient who asked for one takes it; any
        other takes it with the plan's take-up probability (its own pre-drawn uniform)."""
        world, pop, i = self.world, self.world.pop, acct.i
        lever = world.levers["payment_plan"]
        world.count("policy_plan_offers")
        if self.state(acct).requested_plan or pop.plan_u[i, 0] < uptake_probability(
                lever.cfg, acct.bal / 100.0, float(pop.ability_monthly[i])):
            lever.offer(acct, None)
            if acct.held_by is lever:
                world.count("policy_plans_taken")

    def _offer_settlement(self, acct, action: Action) -> None:
        """Settle in full at ``settlement_discount`` off within ``settlement_days``: while open, the
        intensity is multiplied as by a prompt-pay discount of that rate (the dose–response of
        ``behaviour.discount_uplift_max`` and ``discount_half_rate``), and a payment in full books
        the discount (``DISCOUNT``)."""
        world, beh = self.world, self.world.sc.behaviour
        rate = action.settlement_discount
        world.count("settlement_offers")

        def allowance(account, bal: int) -> int:
            discount = int(round(bal * rate))
            account.book(Kind.DISCOUNT, discount, account.now)
            world.count("settlements")
            return discount

        acct.advance(acct.now)
        acct.allowance = allowance
        acct.mult = 1.0 + beh.discount_uplift_max * discount_response(rate, beh.discount_half_rate) \
            * float(world.pop.price_sensitivity[acct.i])
        acct.at(acct.now + action.settlement_days, ACTION_ORDER, self._settlement_ends, allowance)

    def settlement_ends(self, acct, allowance) -> None:
        if acct.allowance is allowance:
            acct.advance(acct.now)
            acct.allowance, acct.mult = None, 1.0


#: the lever that records contact outcomes (simlib.policies.outcomes): it reacts too, without acting
OUTCOMES_KEY = "contact_outcomes"


def policy_keys(strategy: Any) -> list[str]:
    """The keys of the policies (:class:`PolicyLever` levers, a plug-in's included) ``strategy`` runs."""
    return [key for key, cls in registered_levers().items()
            if issubclass(cls, PolicyLever) and uses(strategy, key)]


def reacts(strategy: Any) -> bool:
    """Whether ``strategy`` records contact outcomes or runs a policy: then its results carry the
    policy metrics (group ``policies`` of :mod:`simlib.core.metric_catalogue`)."""
    return uses(strategy, OUTCOMES_KEY) or bool(policy_keys(strategy))
