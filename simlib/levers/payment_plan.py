"""Payment plan: instalments instead of the patient's own payments.

Offered ``offer_day`` after the statement to balances of at least ``balance_min``; a patient
takes it when their pre-drawn uptake uniform is below the take-up probability, which rises with
the balance against their monthly ability to pay (:mod:`simlib.levers.takeup`). While the plan is in good
standing it holds the account: the patient's own payment clock is paused, reminders stand down,
and a write-off or agency placement that falls due waits for the plan to end. Each missed
instalment lengthens the plan by a month; after ``default_after_misses`` misses the plan defaults
and the account returns to normal collection (the deferred write-off or placement happens then).
Administering a plan costs ``setup_cost`` when it starts (enrolment, autopay set-up: half an
hour of staff at the model's $31 an hour) and ``cost_per_instalment`` for each instalment due
(the monthly notice and payment processing, about a letter's $1.10): ``COST_PLAN_ADMIN`` rows,
assumptions (docs/model.md "Payment plans").
Counters: ``plans``, ``plans_autopay``, ``plan_instalments``, ``plan_misses``,
``plans_completed``, ``plan_defaults``.
"""
from __future__ import annotations

from simlib.core.language import N_, _, money_text, short_number_text

from typing import Annotated, Literal

from pydantic import Field, model_validator

from simlib.core.ledger import Kind
from simlib.core.rng import UniformRows
from simlib.levers.base import Assumption, Lever, register_lever
from simlib.levers.takeup import Uptake, describe_takers, uptake_probability
from simlib.core.settings import Fraction, NonNeg, Positive, cents

PLAN_MONTHS_MAX = 36  # instalment months drawn per account (miss uniforms)


class PaymentPlan(Uptake):
    """An instalment plan offered on ``offer_day`` after the statement to balances of at least
    ``balance_min``; a patient takes it with probability
    ``min(uptake_max, uptake_rate × (balance ÷ monthly ability ÷ uptake_ratio_ref_months) ** uptake_elasticity)``
    (decided on the balance at the statement; :mod:`simlib.levers.takeup`).

    Instalment: ``sizing: even`` → balance ÷ ``max_months``; ``sizing: ability`` → the patient's
    monthly ability to pay × ``affordability_share``, raised to balance ÷ ``max_months`` when that
    would take longer than ``max_months`` (and never below ``instalment_min``). Instalments fall
    every ``month_days``, the first on the day the plan starts; the last takes the rounding.
    Each instalment is missed with probability
    ``min(1, miss_base_rate × (instalment ÷ ability) ** miss_elasticity)``, times
    ``autopay_miss_factor`` for patients on autopay (``autopay_rate`` of takers). A missed instalment
    is not paid and the plan runs one month longer; after ``default_after_misses`` misses in total
    (not necessarily consecutive) the plan defaults and the account returns to normal collection.
    """

    balance_min: NonNeg = 200.0
    offer_day: NonNeg = 0.0
    sizing: Literal["ability", "even"] = "ability"
    affordability_share: Positive = 1.0
    instalment_min: NonNeg = 0.0
    max_months: Annotated[int, Field(ge=1, le=36)] = 12
    month_days: Positive = 30.0
    autopay_rate: Fraction = 0.5
    autopay_miss_factor: Fraction = 0.5
    miss_base_rate: Fraction = 0.02
    miss_elasticity: NonNeg = 1.0
    default_after_misses: Annotated[int, Field(ge=1)] = 3
    setup_cost: NonNeg = 15.5
    cost_per_instalment: NonNeg = 1.0

    @model_validator(mode="after")
    def _check(self) -> "PaymentPlan":
        if self.max_months + self.default_after_misses - 1 > PLAN_MONTHS_MAX:
            raise ValueError(f"max_months + default_after_misses - 1 must be <= {PLAN_MONTHS_MAX} "
                             f"(instalment months drawn per account); found "
                             f"{self.max_months} + {self.default_after_misses} - 1")
        return self


def _draw(rng, n: int, scenario) -> dict:
    """Per account: the uptake and autopay uniforms, and one miss uniform per instalment month —
    these held as their place in the stream (:class:`~simlib.core.rng.UniformRows`): only plan
    takers read them, one row each when their plan starts, and the matrix would cost every account
    288 bytes (issue 27). ``plan_miss_u[i]`` is row ``i``, the same numbers as drawn eagerly."""
    return {"plan_u": rng.random((n, 2)), "plan_miss_u": UniformRows(rng, n, PLAN_MONTHS_MAX)}


def plan_terms(pp: PaymentPlan, balance: int, ability: float, autopay_u: float) -> tuple[int, float, bool]:
    """A plan's terms for a balance of ``balance`` cents: the instalment (cents), the probability
    each instalment is missed and whether the patient is on autopay (their uniform below
    ``autopay_rate``: the miss probability × ``autopay_miss_factor``). The one computation, for
    the lever and its NumPy form (:mod:`simlib.model.vectorized_plans`)."""
    inst = -(-balance // pp.max_months)                   # ceil(balance / max months)
    if pp.sizing == "ability":
        inst = max(inst, cents(ability * pp.affordability_share))
    inst = min(balance, max(inst, cents(pp.instalment_min), 1))
    p_miss = min(1.0, pp.miss_base_rate * (inst / 100.0 / ability) ** pp.miss_elasticity) \
        if ability > 0 else 1.0
    autopay = bool(autopay_u < pp.autopay_rate)
    if autopay:
        p_miss *= pp.autopay_miss_factor
    return inst, p_miss, autopay


class _Plan:
    """One account's plan: instalment (cents), miss probability, months run, misses so far, and
    the account's row of monthly miss uniforms (``plan_miss_u[i]``, read once when it starts)."""

    __slots__ = ("inst", "p_miss", "month", "misses", "miss_u")

    def __init__(self, inst: int, p_miss: float, miss_u):
        self.inst, self.p_miss, self.month, self.misses, self.miss_u = inst, p_miss, 0, 0, miss_u


@register_lever
class PaymentPlanLever(Lever):
    key = "payment_plan"
    title = N_("Payment plans")
    random_draws = {"plans": _draw}
    risk = (N_("Payment plans"),
            N_("Uptake and default rates of plans are assumptions (vendor figures, no peer-reviewed "
            "default rate); plans tie up staff and keep balances open longer."))
    glossary = ((N_("Payment plan"), N_("Instalments over several months, offered above a minimum balance.")),)
    assumptions = (Assumption("uptake_rate", N_("Payment-plan take-up rate"), 0.5, 1.5, upper=1.0),
                   Assumption("miss_base_rate", N_("Missed plan instalments (base miss rate)"), 0.5, 1.5, upper=1.0),)
    settings = PaymentPlan | None
    order = 4  # the offer; instalments are order 6
    counters = {"plans": "plans started", "plans_autopay": "plans started on autopay",
                "plan_instalments": "instalments paid", "plan_misses": "instalments missed",
                "plans_completed": "plans paid off", "plan_defaults": "plans defaulted"}

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        when = (_("on the statement") if settings.offer_day == 0 else
                _("{days} days after the statement").format(days=short_number_text(settings.offer_day)))
        message = (_("payment plan offered {when} for balances ≥ {amount} ({takers}): instalments sized to the "
                     "patient's ability to pay over up to {months} months, default after {misses} missed")
                   if settings.sizing == "ability" else
                   _("payment plan offered {when} for balances ≥ {amount} ({takers}): instalments of equal size "
                     "over up to {months} months, default after {misses} missed"))
        return message.format(when=when, amount=money_text(settings.balance_min), takers=describe_takers(settings),
                              months=settings.max_months, misses=settings.default_after_misses)

    def __init__(self, world, settings):
        super().__init__(world, settings)
        self.min_cents = cents(settings.balance_min)
        self.setup_cents = cents(settings.setup_cost)
        self.instalment_cents = cents(settings.cost_per_instalment)
        self._offer, self._instalment = self.offer, self.instalment

    def schedule(self, acct, bill: float, items: list) -> None:
        pop, i = self.world.pop, acct.i
        if acct.bal >= self.min_cents and pop.plan_u[i, 0] < uptake_probability(
                self.cfg, acct.bal / 100.0, float(pop.ability_monthly[i])):
            items.append((bill + self.cfg.offer_day, 4, self._offer, None))

    def offer(self, acct, _) -> None:
        """Enrol in a plan (uptake was decided when scheduling); first instalment today."""
        world, pop, i, bal, pp = self.world, self.world.pop, acct.i, acct.bal, self.cfg
        if acct.held_by is not None or bal < self.min_cents:
            return
        inst, p_miss, autopay = plan_terms(pp, bal, float(pop.ability_monthly[i]), pop.plan_u[i, 1])
        if autopay:
            world.count("plans_autopay")
        acct.take_over(self, pause_clock=True)
        world.ledger.post(acct.r, acct.now, Kind.COST_PLAN_ADMIN, self.setup_cents)
        world.count("plans")
        world.trace(acct.r, "plan", acct.now)
        acct.at(acct.now, 6, self._instalment, _Plan(inst, p_miss, pop.plan_miss_u[i]))

    def instalment(self, acct, plan: _Plan) -> None:
        world, now, m = self.world, acct.now, plan.month
        plan.month = m + 1
        world.ledger.post(acct.r, now, Kind.COST_PLAN_ADMIN, self.instalment_cents)
        if plan.miss_u[m] < plan.p_miss:
            plan.misses += 1
            world.count("plan_misses")
            world.trace(acct.r, "instalment missed", now)
            if plan.misses >= self.cfg.default_after_misses:
                world.count("plan_defaults")
                world.trace(acct.r, "plan defaulted", now)
                acct.hand_back()
                return
        else:
            amount = min(plan.inst, acct.bal)            # the last instalment takes the rounding
            acct.reduce(Kind.PAYMENT_PATIENT, amount, now)
            world.count("plan_instalments")
            world.trace(acct.r, "instalment", now)
            if acct.bal == 0:
                world.count("plans_completed")
                return
        acct.at(now + self.cfg.month_days, 6, self._instalment, plan)

    def while_holding(self, acct, action, argument) -> None:
        """A write-off or placement waits for the plan: it happens if the plan defaults."""
        acct.defer(action, argument)

