"""Targeted offers (issue 26, item 3): the strategy's offers — its prompt-pay discount, payment plan
or financing — go only to the accounts whose observed score lies in a band, and the ladder's steps
that target a score may use the same score (the Chilean article: "predict who will default" and
"the most effective channel"). Every patient bill is scored on its service day at
``cost_per_scored_account`` (a ``COST_SCORING`` row; counter ``targeted_scored``).

The score (``score``):

- ``propensity``: the population's observed propensity-to-pay score (log propensity plus normal noise
  of sd ``patients.score_noise_sd``, as a percentile), what a vendor's propensity-to-pay model sells;
- ``contact_response``: the patient's response to contacts (log contact responsiveness,
  :mod:`simlib.world.contact_response`) plus normal noise of sd ``noise_sd`` (default the patients'
  ``score_noise_sd``), as a percentile: who answers reminders.

Its accuracy is documented by its concordance with the trait it predicts (Harrell's C, the AUC of the
score for "this patient's trait is higher than that one's" over pairs): for a normal trait of sd σ and
normal noise of sd s, C = ½ + arcsin(ρ) ÷ π with ρ = σ ÷ √(σ² + s²) (Kendall's τ of a bivariate normal;
:func:`score_concordance`); 0.5 is a coin, 1 a perfect score. At the baseline's σ = 1, s = 0.7: C = 0.81.

An account outside [``score_min``, ``score_max``] gets none of the ``offers`` its strategy makes (counter
``targeted_withheld``): the discount is not opened at its statement, the plan or financing is not offered.
With ``ladder: true`` the ladder's ``target.score_min/max`` read this score instead of the propensity score.
Who changes behaviour because of an offer (its uplift) is measured by :mod:`simlib.studies.uplift`.
"""
from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import model_validator

from simlib.core.language import N_, _, money_text, short_number_text
from simlib.core.ledger import Kind
from simlib.core.settings import Fraction, NonNeg, Strict, cents
from simlib.levers.base import Assumption, Lever, register_lever

OFFERS = ("prompt_pay_discount", "payment_plan", "financing")


class TargetedOffer(Strict):
    score: Literal["propensity", "contact_response"] = "propensity"
    score_min: Fraction = 0.0
    score_max: Fraction = 1.0
    offers: list[Literal["prompt_pay_discount", "payment_plan", "financing"]] = ["prompt_pay_discount"]
    ladder: bool = False
    noise_sd: NonNeg | None = None
    cost_per_scored_account: NonNeg = 0.25

    @model_validator(mode="after")
    def _band(self) -> "TargetedOffer":
        if self.score_min > self.score_max:
            raise ValueError(f"score_min must be <= score_max; found {self.score_min:g} > {self.score_max:g}")
        return self


def score_concordance(trait_sigma: float, noise_sd: float) -> float:
    """Harrell's C of a score = trait + noise for a normal trait (sd ``trait_sigma``) and independent
    normal noise (sd ``noise_sd``): ½ + arcsin(ρ) ÷ π, ρ the correlation of score and trait."""
    if trait_sigma <= 0:
        return 0.5
    rho = trait_sigma / math.sqrt(trait_sigma ** 2 + noise_sd ** 2)
    return 0.5 + math.asin(rho) / math.pi


def percentile(values: np.ndarray) -> np.ndarray:
    """Rank percentiles in [0, 1), ties in index order (as the population's propensity score)."""
    out = np.empty(len(values))
    out[np.argsort(values, kind="stable")] = np.arange(len(values)) / max(len(values), 1)
    return out


def score_accuracy(settings: TargetedOffer, scenario) -> float:
    """The score's concordance with the trait it predicts, in this scenario."""
    pat = scenario.patients
    noise = pat.score_noise_sd if settings.noise_sd is None or settings.score == "propensity" else settings.noise_sd
    sigma = pat.propensity_sigma if settings.score == "propensity" or pat.contact_responsiveness_sigma is None \
        else pat.contact_responsiveness_sigma
    return score_concordance(sigma, noise)


@register_lever
class TargetedOfferLever(Lever):
    key = "targeted_offer"
    settings = TargetedOffer | None
    order = 1
    title = N_("Targeted offers")
    counters = {"targeted_scored": "patient bills scored for a targeted offer",
                "targeted_withheld": "accounts outside the score band, whose offers were withheld"}
    glossary = ((N_("Targeted offer"), N_("An offer (a discount, a plan) made only to the patients a score "
                 "picks out, such as those least likely to pay without it; the score is bought per account.")),
                (N_("Concordance (C)"), N_("How well a score ranks patients: the chance that, of two patients, "
                 "the one the score ranks higher really is higher; 0.5 is a coin toss, 1 a perfect score.")))
    risk = (N_("Targeted offers"), N_("Offers made by a score must not single out patients by a protected "
            "characteristic, and in the US a discount on a Medicare or Medicaid patient's share must follow "
            "the Anti-Kickback Statute's rules whoever receives it."))
    assumptions = (Assumption("noise_sd", N_("Noise of the channel-response score"), 0.3, 1.2, mode="set"),)

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        which = _("propensity-to-pay score") if settings.score == "propensity" else _("channel-response score")
        band = _("{low}–{high} % of the {score}").format(low=short_number_text(round(settings.score_min * 100, 1)),
                                                        high=short_number_text(round(settings.score_max * 100, 1)),
                                                        score=which)
        words = _("offers ({offers}) only for {band}, scored at {cost} per account").format(
            offers=", ".join(k.replace("_", " ") for k in settings.offers), band=band,
            cost=money_text(settings.cost_per_scored_account, 2))
        return words + (_("; the ladder's targets use the same score") if settings.ladder else "")

    @classmethod
    def risk_notes(cls, strategies, scenario) -> list[tuple[str, list[str], str]]:
        """The rule on offers by a score, and each strategy's score accuracy (its concordance C)."""
        notes = super().risk_notes(strategies, scenario)
        for name, st in strategies.items():
            settings = getattr(st, cls.key, None)
            if settings is not None:
                notes.append((_("Targeted offers"), [name], _(
                    "The score ranks two patients the right way round with a chance of {c} (concordance C; "
                    "0.5 is a coin toss); the offers it withholds are lost on the patients it ranks wrongly.").format(
                    c=short_number_text(round(score_accuracy(settings, scenario), 2)))))
        return notes

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        if settings is None:
            return []
        made = [k for k in OFFERS if getattr(strategy, k, None) is not None]
        missing = [k for k in settings.offers if k not in made]
        if missing:
            return [f"{at}.offers: expected offers the strategy makes, among {made}; found {missing} without "
                    f"their section"]
        return []

    def __init__(self, world, settings):
        super().__init__(world, settings)
        pop, pat = world.pop, world.sc.patients
        if settings.score == "propensity":
            self.score = list(world.score)
        else:
            noise = pat.score_noise_sd if settings.noise_sd is None else settings.noise_sd
            z = pop.draws("targeted_offer", lambda rng, n: rng.standard_normal(n))
            self.score = percentile(np.log(pop.contact_responsiveness) + noise * z).tolist()
        if settings.ladder:
            world.score = self.score
        self.cost = cents(settings.cost_per_scored_account)
        self.withheld_levers = [world.levers[k] for k in settings.offers if k in world.levers]
        self.discount = world.levers.get("prompt_pay_discount") if "prompt_pay_discount" in settings.offers else None

    def in_band(self, i: int) -> bool:
        return self.cfg.score_min <= self.score[i] <= self.cfg.score_max

    def at_service(self, i: int, r: int, day: float, balance: int) -> int:
        world = self.world
        world.count("targeted_scored")
        if self.cost:
            world.ledger.post(r, max(day, world.start_day), Kind.COST_SCORING, self.cost)
        return balance

    def at_statement(self, acct) -> None:
        if self.in_band(acct.i):
            return
        self.world.count("targeted_withheld")
        if self.discount is not None and acct.allowance is self.discount._allowance:
            acct.allowance, acct.mult = None, 1.0

    def schedule(self, acct, bill_day, items) -> None:
        if self.in_band(acct.i):
            return
        items[:] = [item for item in items if getattr(item[2], "__self__", None) not in self.withheld_levers]
