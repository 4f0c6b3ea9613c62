"""How a patient responds to a contact that reaches them (``docs/model.md``, "Contacts").

A contact (a message, a call, a corrected statement) raises the payment intensity by its jump ×

- the patient's **contact weight**: their latent contact responsiveness (a trait of its own,
  correlated with the propensity to pay through ``patients.contact_propensity_correlation``)
  × the balance factor (balance / ``balance_ref``) ^ −``balance_elasticity``;
- **fatigue**: ``contact_fatigue_per_contact`` ^ (contacts that reached the patient in the last
  ``contact_fatigue_window_days``);
- **age of the debt**: exp(−days since the statement ÷ ``contact_age_decay_days``).

A patient whose statement did not reach them (or has not arrived yet) pays at only
``unreached_statement_share`` of a reached statement's intensity; the first contact that
reaches them tells them of the bill and adds the missing part of the statement's intensity.

Each contact that reaches the patient may make them opt out of its channel (``opt_out_rate``:
later contacts on it are not made, counter ``opted_out_contacts``; ``opt_outs``) or complain
(``complaint_rate``; at most one complaint per patient and channel; ``complaints``). Both come
from one pre-drawn uniform per patient and channel (the number of contacts until the event is
geometric), so every strategy meets the same patients.

Harm has a price (the scenario's ``harm:`` section, :class:`Harm`; docs/model.md "Harm has a
price"): a complaint costs ``cost_per_complaint`` of staff time (a ``COST_COMPLAINT`` row), and
each complaint or opt-out makes the patient less likely to come back for their future care:
P(lost) = 1 − (1 − ``attrition_per_complaint``)^complaints × (1 − ``attrition_per_opt_out``)^opt-outs.
Each rise of P(lost) is booked at once as its expected lost future margin, rise ×
``future_encounters_per_patient`` × this encounter's allowed amount × ``contribution_margin_ratio``
(a ``LOST_MARGIN_ATTRITION`` row: no cash, subtracted from the NPV). The expected number of
patients lost is the counter ``patients_lost_micro`` (millionths of a patient, an integer).
"""
from __future__ import annotations

import math

from simlib.core.ledger import Kind
from simlib.core.settings import Fraction, NonNeg, Strict

COUNTERS = {"opt_outs": "patients who opted out of a channel (each patient and channel once)",
            "opted_out_contacts": "planned contacts not made because the patient opted out of the channel",
            "complaints": "complaints about contacts (each patient and channel once)",
            "patients_lost_micro": "expected patients who do not come back because of complaints and "
                                   "opt-outs, in millionths of a patient"}


class Harm(Strict):
    """What harm to patients costs the hospital (docs/model.md "Harm has a price"; every default
    an assumption with its range there; ``0`` switches a part off).

    - ``contribution_margin_ratio``: revenue minus variable cost of care ÷ the allowed amount, the
      margin an encounter that does not happen (care deferred, a patient lost) takes away;
    - ``future_encounters_per_patient``: encounters a patient who stays would bring over the next
      two years, each the size of this one (athenahealth: 85 % of patients who owe nothing return
      within 24 months);
    - ``attrition_per_complaint`` / ``attrition_per_opt_out``: the chance a complaint / an opt-out
      makes the patient go elsewhere (athenahealth: return visits fall from 85 % to 42 % as the
      balance owed rises above $200 — the size of a bad billing experience's effect);
    - ``cost_per_complaint``: staff time to handle a complaint (half an hour at the model's
      $31 an hour).
    """

    contribution_margin_ratio: Fraction = 0.3
    future_encounters_per_patient: NonNeg = 1.0
    attrition_per_complaint: Fraction = 0.25
    attrition_per_opt_out: Fraction = 0.05
    cost_per_complaint: NonNeg = 15.5


def lost_probability(complaints: int, opt_outs: int, harm: Harm) -> float:
    """P(the patient does not come back) after this many complaints and opt-outs."""
    return 1.0 - (1.0 - harm.attrition_per_complaint) ** complaints * (1.0 - harm.attrition_per_opt_out) ** opt_outs


def encounter_margin_cents(world, i: int) -> float:
    """The contribution margin of encounter ``i`` (cents, unrounded): its allowed amount × the ratio."""
    return float(world.pop.allowed_cents[i]) * world.sc.harm.contribution_margin_ratio


def _book_harm(acct, complained: bool, before: float) -> None:
    """A complaint or an opt-out happened: its handling cost and the rise of P(lost) × future margin."""
    world, harm, now = acct.world, acct.world.sc.harm, acct.now
    if complained and harm.cost_per_complaint > 0.0:
        world.ledger.post(acct.r, now, Kind.COST_COMPLAINT, int(round(harm.cost_per_complaint * 100.0)))
    after = lost_probability(bin(acct.complained_of).count("1"), bin(acct.opted_out_of).count("1"), harm)
    rise = after - before
    if rise <= 0.0:
        return
    world.count("patients_lost_micro", int(round(rise * 1e6)))
    margin = rise * harm.future_encounters_per_patient * encounter_margin_cents(world, acct.i)
    world.ledger.post(acct.r, now, Kind.LOST_MARGIN_ATTRITION, int(round(margin)))


def fatigue_and_age_factor(acct, now: float) -> float:
    """The share of a contact's full effect left by the patient's recent contacts and the debt's age;
    records the contact."""
    beh = acct.world.sc.behaviour
    times = acct.reached_times
    factor = 1.0
    if beh.contact_fatigue_per_contact < 1.0:
        window, recent = beh.contact_fatigue_window_days, 0
        for t in reversed(times):
            if now - t >= window:
                break
            recent += 1
        factor = beh.contact_fatigue_per_contact ** recent
    times.append(now)
    tau = beh.contact_age_decay_days
    if tau is not None:
        factor *= math.exp(-max(0.0, now - acct.billed_day) / tau)
    return factor


def learn_of_bill(acct) -> None:
    """The patient learns of the bill (their statement arrives, or a later contact reaches them):
    the intensity gains the part of the statement's intensity it lacked."""
    if acct.unaware:
        acct.unaware = False
        share = acct.world.sc.behaviour.unreached_statement_share
        acct.jump((1.0 - share) * acct.initial_lam)


def respond(acct, jump_per_day: float, now: float) -> None:
    """A contact with jump ``jump_per_day`` reached the patient at ``now``."""
    learn_of_bill(acct)
    acct.jump(jump_per_day * acct.contact_weight * fatigue_and_age_factor(acct, now))


def _chance_by(k: int, rate: float) -> float:
    """P(the event by the k-th contact) = 1 − (1 − rate)^k (1 for a rate of 1)."""
    return 1.0 if rate >= 1.0 else -math.expm1(k * math.log1p(-rate))


def opted_out(acct, channel_index: int) -> bool:
    return bool(acct.opted_out_of >> channel_index & 1)


def after_reach(acct, channel_index: int, cfg) -> None:
    """Count the reached contact on the channel; the patient may opt out of it or complain."""
    if cfg.opt_out_rate <= 0.0 and cfg.complaint_rate <= 0.0:
        return
    counts = acct.channel_reached
    if counts is None:
        counts = acct.channel_reached = {}
    k = counts[channel_index] = counts.get(channel_index, 0) + 1
    world, i = acct.world, acct.i
    pop = world.pop
    before = lost_probability(bin(acct.complained_of).count("1"), bin(acct.opted_out_of).count("1"),
                              world.sc.harm)
    # the k-th contact is the first with u < 1 − (1 − p)^k: a geometric count of contacts
    harmed = complained = False
    if cfg.opt_out_rate > 0.0 and not opted_out(acct, channel_index) \
            and pop.opt_out_u[i, channel_index] < _chance_by(k, cfg.opt_out_rate):
        acct.opted_out_of |= 1 << channel_index
        world.count("opt_outs")
        harmed = True
    if cfg.complaint_rate > 0.0 and not acct.complained_of >> channel_index & 1 \
            and pop.complaint_u[i, channel_index] < _chance_by(k, cfg.complaint_rate):
        acct.complained_of |= 1 << channel_index
        world.count("complaints")
        harmed = complained = True
    if harmed:
        _book_harm(acct, complained, before)
