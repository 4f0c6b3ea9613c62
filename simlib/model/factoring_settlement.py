"""Medical factoring as a contract overlay on the simulated collection path (DESIGN §4).

Patients and insurers behave exactly as without factoring; the offer only decides who gets the
cash and when. :func:`apply_factoring` reads a strategy's receivable movements (billed, payments,
discounts, corrections, write-offs) and writes cash-only ``FACTORING_*`` rows, so the receivable
invariant (billed = collected + allowances + corrections + written off + open) is untouched.

Settlement rules (all amounts integer cents; notation of domain-research §4.2):

- **Purchase.** In ``flow`` mode an insurer claim is sold ``funding_lag_days`` after it is
  submitted, a patient balance ``funding_lag_days`` after its statement; in ``cohort`` mode every
  receivable billed on or before ``cohort_day`` is sold that day (the open book). The factored face
  B is the receivable's open balance at purchase (a deposit or anything reduced on or before the
  purchase day stays the hospital's). Base F = B, or B × ``ecv_rate`` of the payer class (expected
  collectable value). Advance A = round(a·F); the upfront admin fee round(admin_fee_rate·F) is
  deducted from it: the ``FACTORING_ADVANCE`` row is the cash paid, A − admin fee.
- **Fee.** fee(n) = base × rate(n), base = F (or A with ``fee_on: advance``), n = whole days
  outstanding = ⌈τ⌉ with τ = settlement day − purchase day (at least 1): a payment on day 30 after
  purchase is in a 30-day first tier, one on day 30.2 is day 31.
- **Pro rata (partial payments).** Each reduction of the receivable settles its share s = amount/B
  of the contract on its own day: advance share = A × s (cumulative rounding, so the shares of a
  fully reduced receivable add up to A exactly) and fee share = round(base × rate(n) × s). Rows of one
  receivable on one day form one event (a payment with its prompt-pay discount settles together).
  Reserve release = collected − advance share − fee share: a ``FACTORING_REBATE`` when positive, a
  ``FACTORING_CHARGEBACK`` when negative. For a single full payment this is exactly
  C − A − fee(τ). Reductions that bring no cash (denial, correction, discount, small-balance and
  bad-debt write-off) are therefore charged back: advance share + fee share.
- **Collections.** Every payment on a factored receivable goes to the factor: a
  ``FACTORING_COLLECTION`` row (hospital outflow) equal to the payment, so the hospital's cash from a
  factored receivable is advance + rebates − buy-backs − charge-backs.
- **Recourse.** At purchase + ``recourse_days`` the hospital buys back what is still open:
  ``FACTORING_BUYBACK`` = remaining advance share + fee(recourse_days) on the remaining share. Later
  payments are the hospital's own again (no factoring rows).
- **Non-recourse** (``recourse_days: null``): a bad-debt write-off is the factor's credit loss — no
  charge-back and no fee on that share — while denials, corrections, discounts and small-balance
  write-offs are still charged back.
- **Anti-assignment** (Medicare/Medicaid, payers with ``anti_assignment: true``): the payer pays the
  hospital's account and the sweep reaches the factor ``sweep_lag_days`` later; every event of such a
  claim settles (collection, rebate, charge-back, fee) on the sweep day, so the lag also accrues fee.
  Only insurer claims are affected: the patient's own balance is not a Medicare payment. With
  ``allow_anti_assignment: false`` those claims are not sold.
- **Termination.** No purchase on or after ``stop_day``; with ``settle: buy_back`` everything still
  open at ``stop_day + notice_days`` is bought back like a recourse event (whichever comes first),
  with ``run_off`` the factored book runs to its end under the contract.

Events after the horizon are not simulated; a sweep that lands after it is still posted (the
payment happened). The factor's P&L identity holds per receivable, to the cent:
``collections + buy-backs + charge-backs − (advance cash + rebates) + open advance
= fees − credit loss`` (:func:`Settlement.factor_pnl_gap` is zero). Every run checks it, with the
hospital's cash and per-receivable conservation, for every settlement (:func:`check_settlement`);
a failure is a :class:`~simlib.core.ledger.ConservationError` naming the receivables (exit code 3).

Effective annual cost: ``factoring_apr`` = all fees ÷ advance dollar-days × 365, where each advance
share counts from purchase to its settlement (or to the horizon, with the fee accrued so far, if
still open). For one receivable paid in full this is the simple formula of domain-research §4.2,
APR ≈ fee(τ)/A × 365/τ (:func:`simple_apr`; MedBanker: $2 on $75 for 30 days ≈ 32 %).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from simlib.core.ledger import (CASH_SIGN, COLLECTED, REDUCTIONS, ConservationError, Kind, Ledger,
                           check_conservation)
from simlib.levers.factoring import DailyFee, FactoringOffer, FlatFee, TableFee, TieredFee
from simlib.scenario.schema import Scenario
from simlib.model.population import Population

DAY_EPS = 1e-9  # float tolerance when counting whole days (day 30.000000001 is still day 30)

METRIC_NAMES = ("factoring_factored_share", "factoring_advanced", "factoring_fees",
                "factoring_rebates", "factoring_chargebacks", "factoring_buybacks",
                "factoring_credit_loss", "factoring_apr")


def simple_apr(fee: float, advance: float, days: float) -> float:
    """Simple annualised cost of one advance: fee ÷ advance × 365 ÷ days (domain-research §4.2)."""
    return fee / advance * 365.0 / days


def days_outstanding(tau) -> np.ndarray:
    """Whole days outstanding, ⌈τ⌉, at least 1 (a started day counts as a day)."""
    return np.maximum(1, np.ceil(np.asarray(tau, dtype=float) - DAY_EPS)).astype(np.int64)


def fee_rate(fee, n) -> np.ndarray:
    """Fee as a fraction of the base after ``n`` whole days outstanding (vectorised)."""
    n = np.asarray(n, dtype=float)
    if isinstance(fee, FlatFee):
        return np.full(n.shape, fee.rate)
    if isinstance(fee, TieredFee):
        steps = np.ceil(np.maximum(0.0, n - fee.first_days) / fee.step_days - DAY_EPS)
        rate = fee.first_rate + fee.step_rate * np.maximum(steps, 0.0)
    elif isinstance(fee, DailyFee):
        rate = fee.rate_per_day * n
    elif isinstance(fee, TableFee):
        days = np.array([t.up_to_days for t in fee.tiers])
        rates = np.array([t.rate for t in fee.tiers] + [fee.beyond_rate])
        return rates[np.searchsorted(days, n - DAY_EPS, side="left")]
    else:  # pragma: no cover - the params union is closed
        raise TypeError(f"unknown fee schedule {fee!r}")
    return rate if fee.max_rate is None else np.minimum(rate, fee.max_rate)


def _round_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """round(num / den) for non-negative int64 arrays, exact (half up)."""
    den = np.maximum(den, 1)
    return (2 * num + den) // (2 * den)


def _per(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=values.dtype)
    np.add.at(out, index, values)
    return out


@dataclass
class Settlement:
    """Per-receivable outcome of one factoring contract (cents) and the rows it writes."""

    rows: Ledger
    factored: np.ndarray        # bool
    purchase_day: np.ndarray
    face: np.ndarray            # B: open balance sold
    base: np.ndarray            # F: face or ECV
    advance: np.ndarray         # A, gross of the admin fee
    advance_cash: np.ndarray    # A − admin fee (the FACTORING_ADVANCE row)
    fees: np.ndarray            # admin + settlement fees + buy-back fees
    rebates: np.ndarray
    chargebacks: np.ndarray
    buybacks: np.ndarray
    collections: np.ndarray     # payments passed on to the factor
    credit_loss: np.ndarray     # advance shares the factor lost on bad debt (non-recourse)
    open_advance: np.ndarray    # advance not yet settled at the horizon
    apr_fees_cents: float       # fees incl. those accrued on still-open shares at the horizon
    advance_cent_days: float    # Σ advance share × days outstanding

    def factor_pnl_gap(self) -> np.ndarray:
        """Received − paid + open advance − (fees − credit loss): zero for every receivable."""
        received = self.collections + self.buybacks + self.chargebacks
        paid = self.advance_cash + self.rebates
        return received - paid + self.open_advance - (self.fees - self.credit_loss)

    def metrics(self, billed_total_cents: int) -> dict[str, float]:
        apr = self.apr_fees_cents / self.advance_cent_days * 365.0 if self.advance_cent_days else float("nan")
        return {
            "factoring_factored_share": float(self.face.sum() / billed_total_cents) if billed_total_cents else float("nan"),
            "factoring_advanced": self.advance_cash.sum() / 100.0,
            "factoring_fees": self.fees.sum() / 100.0,
            "factoring_rebates": self.rebates.sum() / 100.0,
            "factoring_chargebacks": self.chargebacks.sum() / 100.0,
            "factoring_buybacks": self.buybacks.sum() / 100.0,
            "factoring_credit_loss": self.credit_loss.sum() / 100.0,
            "factoring_apr": float(apr),
        }


def no_factoring_metrics() -> dict[str, float]:
    """The factoring metrics of a strategy that factors nothing (so paired differences exist)."""
    m = {k: 0.0 for k in METRIC_NAMES}
    m["factoring_apr"] = float("nan")
    return m


def _ready_day(pop: Population, sc: Scenario, n_recv: int) -> np.ndarray:
    """Day each receivable can first be sold: claim submitted, or patient statement sent."""
    enc = np.arange(n_recv) // 2
    claim_ready = pop.service_day + pop.submit_lag
    statement = pop.bill_day + sc.operations.statement_lag_days
    return np.where(np.arange(n_recv) % 2 == 0, claim_ready[enc], statement[enc])


def settle(ledger: Ledger, pop: Population, sc: Scenario, offer: FactoringOffer,
           horizon: float) -> Settlement:
    """Apply ``offer`` to a strategy's ledger; every rule is in the module docstring."""
    n_recv = 2 * pop.n
    rid = np.arange(n_recv)
    enc, insurer = rid // 2, rid % 2 == 0
    payer = pop.payer[enc]
    names = pop.payer_names

    # --- what is sold, when
    in_scope = {"insurer": insurer, "patient": ~insurer, "all": np.ones(n_recv, bool)}[offer.scope].copy()
    anti = np.array([sc.payers[p].anti_assignment for p in names], dtype=bool)[payer] & insurer
    if not offer.allow_anti_assignment:
        in_scope &= ~anti
    swept = anti & offer.allow_anti_assignment
    if offer.mode == "flow":
        purchase = _ready_day(pop, sc, n_recv) + offer.funding_lag_days
    else:
        purchase = np.full(n_recv, float(offer.cohort_day))
        in_scope &= pop.service_day[enc] <= offer.cohort_day
    term = offer.termination
    if term is not None:
        in_scope &= purchase < term.stop_day
    in_scope &= purchase <= horizon

    billed = ledger.per_receivable([Kind.BILLED], n_recv)
    red = ledger.mask(REDUCTIONS) & (ledger.receivable >= 0)
    r_rec, r_day = ledger.receivable[red], ledger.day[red]
    r_kind, r_amt = ledger.kind[red], ledger.amount[red]
    before = r_day <= purchase[r_rec]
    face = billed - _per(r_rec[before], r_amt[before], n_recv)

    seg = offer.segment
    if seg is not None:
        usd = face / 100.0
        in_scope &= (usd >= seg.balance_min) & (pop.score_pct[enc] >= seg.score_min) \
            & (pop.score_pct[enc] <= seg.score_max)
        if seg.balance_max is not None:
            in_scope &= usd <= seg.balance_max
        if seg.payers is not None:
            in_scope &= np.isin(payer, [names.index(p) for p in seg.payers])
    factored = in_scope & (face > 0)
    face = np.where(factored, face, 0)

    # --- advance
    if offer.advance_base == "ecv":
        ecv = offer.ecv_rate
        rate = np.array([ecv[p] for p in names]) if isinstance(ecv, dict) else np.full(len(names), ecv)
        base = np.rint(face * rate[payer]).astype(np.int64)
    else:
        base = face.copy()
    advance = np.rint(offer.advance_rate * base).astype(np.int64)
    admin = np.rint(offer.admin_fee_rate * base).astype(np.int64)
    fee_base = base if offer.fee_on == "base" else advance

    end = np.full(n_recv, np.inf)
    if offer.recourse_days is not None:
        end = purchase + offer.recourse_days
    if term is not None and term.settle == "buy_back":
        end = np.minimum(end, term.stop_day + term.notice_days)

    # --- settlement events: the factor's reductions, grouped by (receivable, day, bad debt)
    sel = factored[r_rec] & (r_day > purchase[r_rec]) & (r_day <= end[r_rec])
    e_rec, e_day, e_kind, e_amt = r_rec[sel], r_day[sel], r_kind[sel], r_amt[sel]
    e_bd = e_kind == Kind.WRITE_OFF_BAD_DEBT
    e_paid = np.where(np.isin(e_kind, [int(k) for k in COLLECTED]), e_amt, 0)
    order = np.lexsort((e_bd, e_day, e_rec))
    e_rec, e_day, e_bd, e_amt, e_paid = (a[order] for a in (e_rec, e_day, e_bd, e_amt, e_paid))
    change = np.ones(len(e_rec), bool)
    change[1:] = (e_rec[1:] != e_rec[:-1]) | (e_day[1:] != e_day[:-1]) | (e_bd[1:] != e_bd[:-1])
    starts = np.flatnonzero(change)
    g_rec, g_day, g_bd = e_rec[starts], e_day[starts], e_bd[starts]
    g_amt = np.add.reduceat(e_amt, starts) if len(starts) else np.zeros(0, np.int64)
    g_paid = np.add.reduceat(e_paid, starts) if len(starts) else np.zeros(0, np.int64)

    cum_all = np.cumsum(g_amt)
    first = np.ones(len(g_rec), bool)
    first[1:] = g_rec[1:] != g_rec[:-1]
    offset = np.repeat((cum_all - g_amt)[first], np.diff(np.append(np.flatnonzero(first), len(g_rec))))
    cum = cum_all - offset
    prev = cum - g_amt
    g_adv = _round_div(advance[g_rec] * cum, face[g_rec]) - _round_div(advance[g_rec] * prev, face[g_rec])
    g_settle = g_day + np.where(swept[g_rec], offer.sweep_lag_days, 0.0)
    g_tau = g_settle - purchase[g_rec]
    g_fee = np.rint(fee_base[g_rec] * fee_rate(offer.fee, days_outstanding(g_tau)) * g_amt
                    / np.maximum(face[g_rec], 1)).astype(np.int64)
    borne = g_bd & (offer.recourse_days is None)   # non-recourse: the factor's credit loss
    g_fee[borne] = 0
    g_net = g_paid - g_adv - g_fee
    g_net[borne] = 0
    g_rebate, g_charge = np.maximum(g_net, 0), np.maximum(-g_net, 0)
    g_loss = np.where(borne, g_adv, 0)

    # --- buy-back (recourse or termination) of what is still open at the end day
    settled_adv = _per(g_rec, g_adv, n_recv)
    remaining = face - _per(g_rec, g_amt, n_recv)
    bb = factored & (end <= horizon) & (remaining > 0)
    bb_adv = np.where(bb, advance - settled_adv, 0)
    n_end = days_outstanding(np.where(bb, end - purchase, 1.0))
    bb_fee = np.where(bb, np.rint(fee_base * fee_rate(offer.fee, n_end) * remaining
                                  / np.maximum(face, 1)), 0).astype(np.int64)
    buyback = bb_adv + bb_fee

    still_open = factored & ~bb & (remaining > 0)
    open_adv = np.where(still_open, advance - settled_adv, 0)
    n_h = days_outstanding(np.where(still_open, horizon - purchase, 1.0))
    accrued_open = np.where(still_open, fee_base * fee_rate(offer.fee, n_h) * remaining
                            / np.maximum(face, 1), 0.0)

    # --- rows
    f_idx = np.flatnonzero(factored)
    adv_cash = advance - admin
    parts = [
        (f_idx, purchase[f_idx], Kind.FACTORING_ADVANCE, adv_cash[f_idx]),
        (f_idx, purchase[f_idx], Kind.FACTORING_FEE, admin[f_idx]),
        (g_rec, g_settle, Kind.FACTORING_COLLECTION, g_paid),
        (g_rec, g_settle, Kind.FACTORING_REBATE, g_rebate),
        (g_rec, g_settle, Kind.FACTORING_CHARGEBACK, g_charge),
        (g_rec, g_settle, Kind.FACTORING_FEE, g_fee),
    ]
    b_idx = np.flatnonzero(bb)
    parts += [(b_idx, end[b_idx], Kind.FACTORING_BUYBACK, buyback[b_idx]),
              (b_idx, end[b_idx], Kind.FACTORING_FEE, bb_fee[b_idx])]
    rec = np.concatenate([p[0] for p in parts]).astype(np.int64)
    day = np.concatenate([np.asarray(p[1], float) for p in parts])
    kind = np.concatenate([np.full(len(p[0]), int(p[2]), np.int8) for p in parts])
    amt = np.concatenate([np.asarray(p[3], np.int64) for p in parts])
    keep = amt != 0
    o = np.lexsort((kind[keep], day[keep]))
    rows = Ledger(receivable=rec[keep][o], day=day[keep][o], kind=kind[keep][o], amount=amt[keep][o])

    fees = np.where(factored, admin, 0) + _per(g_rec, g_fee, n_recv) + bb_fee
    cent_days = float((g_adv * g_tau).sum() + (bb_adv * np.where(bb, end - purchase, 0.0)).sum()
                      + (open_adv * np.where(still_open, horizon - purchase, 0.0)).sum())
    return Settlement(
        rows=rows, factored=factored, purchase_day=np.where(factored, purchase, np.nan),
        face=face, base=np.where(factored, base, 0), advance=np.where(factored, advance, 0),
        advance_cash=np.where(factored, adv_cash, 0), fees=fees,
        rebates=_per(g_rec, g_rebate, n_recv), chargebacks=_per(g_rec, g_charge, n_recv),
        buybacks=buyback, collections=_per(g_rec, g_paid, n_recv),
        credit_loss=_per(g_rec, g_loss, n_recv), open_advance=open_adv,
        apr_fees_cents=float(fees.sum() + accrued_open.sum()), advance_cent_days=cent_days,
    )


def check_settlement(s: Settlement, context: str = "") -> None:
    """Raise :class:`~simlib.core.ledger.ConservationError` naming receivables unless, to the cent,

    - the factor's P&L identity holds for every receivable (:meth:`Settlement.factor_pnl_gap`), and
    - the hospital's cash with factoring = without − fees + credit loss + open advance.

    Run on every factoring settlement of every run (the engine checks per-receivable
    conservation of the collection path itself before the overlay).
    """
    gap = s.factor_pnl_gap()
    if gap.any():
        bad = np.flatnonzero(gap)[:5]
        detail = ", ".join(f"#{r}: gap {int(gap[r])}" for r in bad)
        raise ConservationError(
            f"{context}: the factor's P&L identity (collections + buy-backs + charge-backs − advance "
            f"cash − rebates + open advance = fees − credit loss) fails for "
            f"{np.count_nonzero(gap)} receivable(s) (cents): {detail}")
    sign = np.zeros(256, dtype=np.int64)
    for kind, value in CASH_SIGN.items():
        sign[int(kind)] = value
    cash = np.zeros(len(s.fees), dtype=np.int64)
    np.add.at(cash, s.rows.receivable, s.rows.amount * sign[s.rows.kind.astype(np.int64)])
    diff = cash - (s.open_advance + s.credit_loss - s.fees)
    if diff.any():
        bad = np.flatnonzero(diff)[:5]
        detail = ", ".join(f"#{r}: cash {int(cash[r])}, expected {int(cash[r] - diff[r])}" for r in bad)
        raise ConservationError(
            f"{context}: the hospital's cash from factoring differs from open advance + credit loss − "
            f"fees for {np.count_nonzero(diff)} receivable(s) (cents): {detail}")


def apply_factoring(ledger: Ledger, pop: Population, sc: Scenario, offer: FactoringOffer,
                    horizon: float, context: str = "") -> tuple[Ledger, dict[str, float]]:
    """The ``FACTORING_*`` rows ``offer`` adds to ``ledger``, and the factoring metrics; the
    settlement is checked to the cent first (:func:`check_settlement`)."""
    s = settle(ledger, pop, sc, offer, horizon)
    check_settlement(s, context or "factoring")
    return s.rows, s.metrics(ledger.total([Kind.BILLED]))


def overlay(res, pop: Population, sc: Scenario, offer: FactoringOffer):
    """A copy of a :class:`~simlib.model.engine.WorldResult` with the factoring rows added, and metrics."""
    context = f"strategy {getattr(res, 'strategy', '?')!r} (factoring)"
    rows, m = apply_factoring(res.ledger, pop, sc, offer, sc.simulation.horizon_days, context=context)
    ledger = res.ledger.concat(rows)
    check_conservation(ledger, res.open_cents, context)  # the overlay leaves receivables untouched
    return dataclasses.replace(res, ledger=ledger), m
