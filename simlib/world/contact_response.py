"""How a patient responds to a contact that reaches them (``docs/model.md``, "Contacts").

A contact (a message, a call, a corrected statement) raises the payment intensity by its jump ×

- the patient's **contact weight**: their latent contact responsiveness (a trait of its own,
  correlated with the propensity to pay through ``patients.contact_propensity_correlation``)
  × the balance factor (balance / ``balance_ref_usd``) ^ −``balance_elasticity``;
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
"""
from __future__ import annotations

import math

COUNTERS = {"opt_outs": "patients who opted out of a channel (each patient and channel once)",
            "opted_out_contacts": "planned contacts not made because the patient opted out of the channel",
            "complaints": "complaints about contacts (each patient and channel once)"}


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
    # the k-th contact is the first with u < 1 − (1 − p)^k: a geometric count of contacts
    if cfg.opt_out_rate > 0.0 and not opted_out(acct, channel_index) \
            and pop.opt_out_u[i, channel_index] < -math.expm1(k * math.log1p(-cfg.opt_out_rate)):
        acct.opted_out_of |= 1 << channel_index
        world.count("opt_outs")
    if cfg.complaint_rate > 0.0 and not acct.complained_of >> channel_index & 1 \
            and pop.complaint_u[i, channel_index] < -math.expm1(k * math.log1p(-cfg.complaint_rate)):
        acct.complained_of |= 1 << channel_index
        world.count("complaints")
