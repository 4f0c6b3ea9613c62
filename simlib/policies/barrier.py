"""A state-dependent barrier policy (strategy section ``barrier_policy``; ``docs/policies.md``).

Chehrazi, Glynn & Weber (Management Science 2019) show that for the self-exciting repayment model
this project uses (:mod:`simlib.core.behaviour`), the optimal collection policy acts only when the
account's repayment intensity λ falls below a frontier that rises with the balance w. A hospital
does not see λ; it **estimates** it from what it observes, with the scenario's own behaviour
parameters (the model it fitted):

- at the statement, λ̂ = ``initial_per_day`` × r̂, with r̂ the balance factor (balance ÷
  ``balance_ref``) ^ −``balance_elasticity`` × the propensity the score implies: the observed
  score is log propensity + noise, so its percentile q gives z = Φ⁻¹(q) and
  r̂ = exp(s z − s² / 2), s = σ² ÷ √(σ² + ``score_noise_sd``²) (the regression of log
  propensity on the score, σ = ``propensity_sigma``; mean 1 over the book);
- between events λ̂ relaxes toward ``floor_per_day`` at ``decay_per_day``;
- a payment of a fraction R of the balance adds ``payment_jump_base_per_day`` +
  ``payment_jump_fraction_per_day`` × R;
- a message sent adds the channel's reach × jump × r̂ (the hospital does not know it arrived); a
  call answered adds the channel's jump × r̂ (an unanswered call adds nothing).

(Fatigue, the debt's age and the statement's delivery are left out of the estimate: it is what a
hospital could compute, not the patient's true intensity.) The policy contacts the patient on
``channel`` when λ̂ falls below the barrier b(w) = ``barrier_per_day`` × (w ÷ ``balance_ref``)
^ ``balance_exponent``, at most once every ``min_gap_days``: the crossing time is computed exactly
from the decay (no polling). Its parameters are searchable (``search.variables`` paths
``barrier_policy.barrier_per_day``, ``barrier_policy.balance_exponent``, ...). A ``frontier`` of
(balance, barrier) points replaces the power law (e.g. an optimal frontier computed elsewhere).
"""
from __future__ import annotations

from simlib.core.language import N_

import math
from bisect import bisect_right
from statistics import NormalDist
from typing import Annotated

from pydantic import Field, model_validator

from simlib.core.settings import NonNeg, Positive
from simlib.core.words import id_words
from simlib.levers.base import register_lever
from simlib.policies.base import ACTION_ORDER, Action, PolicyLever, PolicySettings
from simlib.policies.outcomes import OUTCOMES
from simlib.world.contacts import emit

_PHI_INV = NormalDist().inv_cdf


class BarrierPolicy(PolicySettings):
    """Contact on ``channel`` when the repayment intensity estimated from what the hospital
    observes falls below ``barrier_per_day`` × (balance ÷ ``balance_ref``) ^
    ``balance_exponent``, at most once every ``min_gap_days`` (``docs/policies.md``)."""

    channel: str
    barrier_per_day: NonNeg
    balance_exponent: NonNeg = 0.0
    balance_ref: Positive = 1000.0
    min_gap_days: Positive = 7.0
    #: a frontier instead of the power law: (balance USD, barrier per day) points, interpolated
    #: linearly in the balance and flat beyond the first and last (e.g. a computed optimal frontier)
    frontier: Annotated[list[tuple[NonNeg, NonNeg]], Field(min_length=1, max_length=200)] | None = None

    @model_validator(mode="after")
    def _sorted(self) -> "BarrierPolicy":
        if self.frontier is not None and any(a[0] >= b[0] for a, b in zip(self.frontier, self.frontier[1:])):
            raise ValueError("frontier: expected points in increasing order of balance")
        return self


class _Estimate:
    """λ̂ at day ``t``, the responsiveness r̂, a generation (a newer estimate cancels older
    crossings) and the day of the last action."""

    __slots__ = ("lam", "t", "r", "gen", "last_action")

    def __init__(self, lam: float, t: float, r: float):
        self.lam, self.t, self.r, self.gen, self.last_action = lam, t, r, 0, -math.inf


def crossing_days(lam: float, floor: float, kappa: float, barrier: float) -> float:
    """Days until λ(t) = floor + (lam − floor) e^(−κ t) falls to ``barrier`` (0 if already at or
    below it, ``inf`` if never)."""
    if lam <= barrier:
        return 0.0
    if barrier <= floor or kappa <= 0.0:
        return math.inf
    return math.log((lam - floor) / (barrier - floor)) / kappa


@register_lever
class BarrierPolicyLever(PolicyLever):
    key = "barrier_policy"
    title = N_("Barrier policy")
    glossary = ((N_("Repayment intensity"), N_("How likely a patient is to pay in the next days, estimated from "
                 "what the hospital sees: time since the statement, payments and contacts, the score.")),)
    settings = BarrierPolicy | None

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        shape = (f" × (balance ÷ ${settings.balance_ref:,.0f}) ^ {settings.balance_exponent:g}"
                 if settings.balance_exponent else "")
        if settings.frontier is not None:
            return (f"barrier policy: {id_words(settings.channel)} when the estimated repayment intensity falls "
                    f"below a frontier of {len(settings.frontier)} points by balance, at most every "
                    f"{settings.min_gap_days:g} days")
        return (f"barrier policy: {id_words(settings.channel)} when the estimated repayment intensity falls "
                f"below {settings.barrier_per_day:g}/day{shape}, at most every {settings.min_gap_days:g} days")

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        if settings is None:
            return []
        out = Action(contact=settings.channel).problems(strategy, scenario, at)
        return [p.replace(f"{at}.contact", f"{at}.channel") for p in out]

    def __init__(self, world, settings):
        super().__init__(world, settings)
        sc = world.sc
        beh, pat = sc.behaviour, sc.patients
        self.beh = beh
        sigma, noise = pat.propensity_sigma, pat.score_noise_sd
        self.shrink_sigma = sigma * sigma / math.sqrt(sigma * sigma + noise * noise) if sigma > 0 else 0.0
        self.action = Action(contact=settings.channel)
        self.ref_cents = settings.balance_ref * 100.0
        self._cross = self.cross
        #: each account's estimate, by encounter (also its state's ``extra``): read on every event
        self.estimates: dict[int, _Estimate] = {}
        self._floor, self._kappa = beh.floor_per_day, beh.decay_per_day
        #: the power law's (barrier per day, exponent) for :meth:`barrier` inline (None: a frontier)
        self._power = (settings.barrier_per_day, settings.balance_exponent) if settings.frontier is None else None
        self._min_gap, self._horizon = settings.min_gap_days, world.horizon
        #: a message channel's reach × jump, a call channel's jump (what λ̂ adds, × r̂, when sent / answered)
        self._sent_jump = {name: ch.reach * ch.jump_per_day for name, ch in sc.channels.items() if ch.kind != "call"}
        self._answered_jump = {name: ch.jump_per_day for name, ch in sc.channels.items()}

    # ------------------------------------------------------------------ the estimate
    def estimate(self, acct) -> _Estimate:
        return self.estimates[acct.i]

    def decayed(self, est: _Estimate, now: float) -> float:
        beh = self.beh
        return beh.floor_per_day + (est.lam - beh.floor_per_day) * math.exp(-beh.decay_per_day * (now - est.t))

    def barrier(self, bal_cents: int) -> float:
        cfg = self.cfg
        if cfg.frontier is None:
            return cfg.barrier_per_day * (bal_cents / self.ref_cents) ** cfg.balance_exponent
        pts, usd = cfg.frontier, bal_cents / 100.0
        k = bisect_right(pts, usd, key=lambda p: p[0])
        if k == 0:
            return pts[0][1]
        if k == len(pts):
            return pts[-1][1]
        (w0, b0), (w1, b1) = pts[k - 1], pts[k]
        return b0 + (b1 - b0) * (usd - w0) / (w1 - w0)

    def update(self, acct, jump: float) -> None:
        """λ̂ decays to now and jumps by ``jump``; the next crossing is scheduled."""
        est, now = self.estimates[acct.i], acct.now
        floor, kappa = self._floor, self._kappa
        # decayed() and crossing_days() inline (the same operations: called on every event)
        lam = est.lam = floor + (est.lam - floor) * math.exp(-kappa * (now - est.t)) + jump
        est.t = now
        est.gen += 1
        if acct.bal <= 0:
            return
        power = self._power
        barrier = self.barrier(acct.bal) if power is None else power[0] * (acct.bal / self.ref_cents) ** power[1]
        if lam <= barrier:
            wait = 0.0
        elif barrier <= floor or kappa <= 0.0:
            wait = math.inf
        else:
            wait = math.log((lam - floor) / (barrier - floor)) / kappa
        day = max(now + wait, est.last_action + self._min_gap)
        if math.isfinite(day) and day <= self._horizon:
            acct.at(day, ACTION_ORDER - 2, self._cross, est.gen)

    def cross(self, acct, gen: int) -> None:
        est = self.estimates[acct.i]
        if gen != est.gen or acct.bal <= 0 or acct.held_by is not None:
            return
        st = self.states[acct.i]  # idle(), inline: the estimate's state exists
        if st.stopped or acct.now < st.paused_until:
            return
        est.last_action = acct.now
        emit(acct, "barrier_crossed", self.cfg.channel)
        self.act(acct, self.action, 0.0, "below the barrier")
        self.update(acct, 0.0)  # the next crossing if the contact moves nothing

    # ------------------------------------------------------------------ hooks
    def at_statement(self, acct) -> None:
        beh, world, i = self.beh, self.world, acct.i
        if acct.bal <= 0:  # financial assistance forgave it all
            return
        r = (acct.bal / 100.0 / beh.balance_ref) ** -beh.balance_elasticity
        if self.shrink_sigma > 0.0:
            q = min(max(world.score[i], 1e-6), 1 - 1e-6)
            s = self.shrink_sigma
            r *= math.exp(s * _PHI_INV(q) - s * s / 2.0)
        self.state(acct).extra = self.estimates[i] = _Estimate(beh.initial_per_day * r, acct.now, r)
        self.update(acct, 0.0)

    def after_payment(self, acct) -> None:
        beh = self.beh
        paid = self.world.open_cents[acct.r] - acct.bal  # the balance before this payment is still booked
        frac = paid / (paid + acct.bal) if paid + acct.bal > 0 else 1.0
        self.update(acct, beh.payment_jump_base_per_day + beh.payment_jump_fraction_per_day * frac)

    def on_event(self, acct, event: str, channel) -> None:
        if event in OUTCOMES:  # remembered for the record of actions, not used to decide
            self.state(acct).last_outcome = event
        if event == "sent":
            if channel is not None:
                jump = self._sent_jump.get(channel)
                if jump is not None:  # a message (a call moves λ̂ only when answered)
                    est = self.estimates.get(acct.i)
                    if est is not None:
                        self.update(acct, jump * est.r)
        elif event == "answered":
            est = self.estimates.get(acct.i)
            if est is not None:
                self.update(acct, self._answered_jump[channel] * est.r)
