"""Encounters, receivables and latent patient traits, drawn in bulk once per replication.

Every random quantity a patient or claim will ever need is drawn here, as arrays, from streams
that do not depend on the strategy. The engine only reads them, so each strategy faces exactly
the same patients (common random numbers) and per-account cost stays small.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from simlib.world.capacities.phone_team import CALL_ATTEMPTS
from simlib.levers.payment_plan import PLAN_MONTHS_MAX
from simlib.scenario.schema import Scenario
from simlib.core import receivables
from simlib.core.rng import lever_stream, stream
from simlib.model.lever_draws import lever_draws, resolve_pending
from simlib.model.open_book import book_encounters, claims_pending_from_day_0

__all__ = ["CALL_ATTEMPTS", "PLAN_MONTHS_MAX", "Bills", "Population", "draw_population"]


@dataclass
class Population:
    """Struct-of-arrays, one entry per encounter (index ``i``); receivables are 2i (claim), 2i+1
    (patient) and, with a secondary payer, 2n+i (:mod:`simlib.core.receivables`)."""

    n: int
    payer_names: tuple[str, ...]
    channel_names: tuple[str, ...]
    service_day: np.ndarray        # float, may be negative for the open book
    open_book: np.ndarray          # bool
    payer: np.ndarray              # int index into payer_names
    allowed_cents: np.ndarray      # int64
    claim_cents: np.ndarray        # int64 insurer part (0 for self-pay)
    patient_cents: np.ndarray      # int64 patient responsibility (after a secondary that pays)
    emergency: np.ndarray          # bool
    # patient traits
    ability_monthly: np.ndarray    # USD per month
    propensity: np.ndarray         # latent multiplier, mean 1
    price_sensitivity: np.ndarray
    score_pct: np.ndarray          # observed score as a percentile in [0, 1)
    reach_u: np.ndarray            # (n, n_channels) uniforms: reached iff u < channel reach
    threshold: np.ndarray          # (n, max_payments) Exp(1) thresholds of the time change
    fraction_u: np.ndarray         # (n, max_payments) uniforms for the paid fraction R
    full_u: np.ndarray             # (n, max_payments) uniforms for the pay-in-full atom
    # claim path
    submit_lag: np.ndarray
    adjudication_lag: np.ndarray
    denial_u: np.ndarray
    overturn_u: np.ndarray         # (n, max_rounds)
    review_u: np.ndarray           # (n, max_rounds)
    # levers' draws (Lever.random_draws): drawn when first read (see ``pending_draws``)
    # disputes
    error_u: np.ndarray = None
    dispute_delay: np.ndarray = None
    favour_u: np.ndarray = None
    correction_fraction: np.ndarray = None
    # calls and deposits
    rpc_u: np.ndarray = None       # (n, CALL_ATTEMPTS): rows regenerated on demand (simlib.core.rng.UniformRows)
    call_minutes_exp: np.ndarray = None  # (n, CALL_ATTEMPTS) Exp(1) draws, scaled by the team's mean
    deposit_u: np.ndarray = None
    # finance levers (plans, financing, agency)
    plan_u: np.ndarray = None      # (n, 2): uptake, autopay
    plan_miss_u: np.ndarray = None  # (n, PLAN_MONTHS_MAX): rows regenerated on demand (simlib.core.rng.UniformRows)
    financing_u: np.ndarray = None
    agency_threshold: np.ndarray = None  # (n, 4) Exp(1) thresholds while with the agency
    bill_day: np.ndarray = None    # day the patient statement is due out (before the statement lag)
    # take-up and financial assistance (None: a neutral value, for hand-built populations)
    deposit_estimate_z: np.ndarray = None   # N(0, 1): error of the deposit's price estimate
    financing_approval_u: np.ndarray = None  # uniforms: the lender approves iff u < P(approval)
    charity_u: np.ndarray = None            # uniforms: FAP screening identifies iff u < rate
    # contact response (simlib.world.contact_response); None (a hand-built population): neutral values
    contact_responsiveness: np.ndarray = None  # latent multiplier of contact effects, mean 1
    opt_out_u: np.ndarray = None   # (n, n_channels) uniforms: contacts until the patient opts out
    complaint_u: np.ndarray = None  # (n, n_channels) uniforms: contacts until the patient complains
    dispute_wait_exp: np.ndarray = None  # Exp(1): a dispute's wait for resolution, × its mean
    seed: int = 0
    replication: int = 0
    lever_draws: dict = field(default_factory=dict, repr=False)
    # payment timing (behaviour.payment_timing): the planner uniform and the bill's flags
    planner_u: np.ndarray = None   # planner iff u < planner_share
    paper_bill: np.ndarray = None  # bool: billed on paper
    disputed_bill: np.ndarray = None  # bool: the bill is disputed (only a table of bills says so)
    dispute_delay_z: np.ndarray = None  # N(0, 1): the lognormal dispute delay's draw (None: its median)
    # a secondary (complementary) payer (simlib.scenario.second_payer): None when the scenario has none
    secondary_cents: np.ndarray = None   # int64: the secondary's share of what the primary left (0: none)
    secondary_lag: np.ndarray = None     # days from the primary's decision to the secondary's
    secondary_denied: np.ndarray = None  # bool: the secondary refuses (its share passes to the patient)
    #: levers' draws not made yet: draw name -> a call that makes its stream's draws
    #: (:mod:`simlib.model.lever_draws`); a strategy without the lever never holds them (issue 27)
    pending_draws: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for name in self.pending_draws:  # read through __getattr__, which draws them
            if name in self.__dict__ and self.__dict__[name] is None:
                del self.__dict__[name]
        if self.planner_u is None:
            self.planner_u = np.ones(self.n)
        if self.dispute_delay_z is None:
            self.dispute_delay_z = np.zeros(self.n)
        for name in ("paper_bill", "disputed_bill"):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros(self.n, bool))
        self.bill_day = self.patient_bill_day()
        n = len(self.service_day)
        neutral = {"deposit_estimate_z": 0.0, "financing_approval_u": 0.0, "charity_u": 1.0, "dispute_wait_exp": 0.0}
        for name, value in neutral.items():
            if name not in self.pending_draws and self.__dict__.get(name) is None:
                setattr(self, name, np.full(n, value))
        shape = (self.n, len(self.channel_names))
        if self.contact_responsiveness is None:
            self.contact_responsiveness = self.propensity.copy()
        if self.opt_out_u is None:
            self.opt_out_u = np.ones(shape)    # nobody opts out
        if self.complaint_u is None:
            self.complaint_u = np.ones(shape)  # nobody complains

    def __getattr__(self, name: str):
        """A lever's draw not made yet (``pending_draws``): made now, with the others of its stream."""
        pending = self.__dict__.get("pending_draws")
        if not pending or name not in pending:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        resolve_pending(self, name)
        return self.__dict__[name]

    @property
    def n_receivables(self) -> int:
        """Receivables of the population: two per encounter, three with a secondary payer."""
        return receivables.count(self.n, self.secondary_cents is not None)

    def primary_decision_day(self) -> np.ndarray:
        """Day of the primary payer's first decision on each claim (the service day for self-pay)."""
        return np.where(self.claim_cents > 0, self.service_day + self.submit_lag + self.adjudication_lag,
                        self.service_day)

    def secondary_decision_day(self) -> np.ndarray:
        """Day the secondary payer decides: its lag after the primary's first decision."""
        return self.primary_decision_day() + self.secondary_lag

    def patient_bill_day(self) -> np.ndarray:
        """Day each patient statement is due out (before the statement lag): the primary's
        decision, or the secondary's when the encounter has one (what the patient owes is known
        only then)."""
        day = self.primary_decision_day()
        if self.secondary_cents is not None:
            day = np.where(self.secondary_cents > 0, day + self.secondary_lag, day)
        return day

    def draws(self, name: str, draw: Callable[[np.random.Generator, int], np.ndarray]) -> np.ndarray:
        """Per-encounter draws of a plug-in lever, ``draw(generator, n)``, from the lever's own
        stream ``name`` (:func:`simlib.core.rng.lever_stream`), made once per population: every strategy
        of a replication sees the same values (common random numbers), and no built-in draw moves."""
        if name not in self.lever_draws:
            self.lever_draws[name] = draw(lever_stream(self.seed, self.replication, name), self.n)
        return self.lever_draws[name]


# A field's default also sits on the class, where it would hide a pending draw from __getattr__:
# the instance always holds its own value (set by __init__), so the class needs none.
for _field in dataclasses.fields(Population):
    if _field.default is None:
        delattr(Population, _field.name)


def _secondary(sc: Scenario, seed: int, replication: int, payer: np.ndarray,
               patient_cents: np.ndarray) -> dict | None:
    """Each encounter's secondary payer, from its own stream (``None`` when no payer has one):
    who holds the cover, the secondary's share of what the primary left (coordination of
    benefits), its lag and its denial. Takes the secondary's share off ``patient_cents`` in place."""
    blocks = [p.secondary for p in sc.payers.values()]
    if all(b is None for b in blocks):
        return None
    n = len(payer)
    rng = stream(seed, replication, "secondary_claims")
    holder_u, lag_exp, denial_u = rng.random(n), rng.standard_exponential(n), rng.random(n)

    def per(field: str, empty: float) -> np.ndarray:
        return np.array([getattr(b, field) if b is not None else empty for b in blocks])[payer]

    holds = holder_u < per("holders_share", 0.0)
    covered = np.where(holds, np.round(patient_cents * per("covered_share", 0.0)), 0).astype(np.int64)
    patient_cents -= covered
    lag_min = per("lag_days_min", 0.0)
    return {"secondary_cents": covered,
            "secondary_lag": lag_min + (per("lag_days_mean", 0.0) - lag_min) * lag_exp,
            "secondary_denied": denial_u < per("denial_rate", 0.0)}


def _lognormal_mean_one(rng: np.random.Generator, sigma: float, n: int) -> np.ndarray:
    return rng.lognormal(-0.5 * sigma * sigma, sigma, n) if sigma > 0 else np.ones(n)


def _contact_responsiveness(rng: np.random.Generator, pat, propensity: np.ndarray) -> np.ndarray:
    """Contact responsiveness: lognormal with mean 1 and spread ``contact_responsiveness_sigma``
    (default the propensity's), whose normal score has correlation ``contact_propensity_correlation``
    with the propensity's (a Gaussian copula). Correlation 1 with the same spread is the propensity
    itself (contacts scale with the propensity to pay, as before issue 9)."""
    n = len(propensity)
    rho, s_p = pat.contact_propensity_correlation, pat.propensity_sigma
    s_c = s_p if pat.contact_responsiveness_sigma is None else pat.contact_responsiveness_sigma
    z_own = rng.standard_normal(n)  # drawn whatever the correlation: the stream never shifts
    if rho == 1.0 and s_c == s_p:
        return propensity.copy()
    z_p = (np.log(propensity) + 0.5 * s_p * s_p) / s_p if s_p > 0 else np.zeros(n)
    z = rho * z_p + np.sqrt(1.0 - rho * rho) * z_own if s_p > 0 else z_own
    return np.exp(s_c * z - 0.5 * s_c * s_c) if s_c > 0 else np.ones(n)


def draw_population(sc: Scenario, replication: int, seed: int | None = None,
                    bills: "Bills | None" = None) -> Population:
    """Draw the encounters and every latent value of replication ``replication`` (with ``bills``:
    those encounters instead of drawn ones, see :class:`Bills`)."""
    seed = sc.simulation.seed if seed is None else seed
    sim = sc.simulation
    payer_names = tuple(sc.payers)

    if bills is not None:  # the bills of a table (an invoice history): nothing drawn
        return _from_bills(sc, bills, replication, seed)
    rng = stream(seed, replication, "arrivals")
    n_stream = rng.poisson(sim.encounters_per_day * sim.billing_window_days)
    stream_days = np.sort(rng.uniform(0.0, sim.billing_window_days, n_stream))
    book_days = -np.sort(rng.uniform(0.0, sim.open_book_age_days_max, sim.open_book_accounts))[::-1]
    given = book_encounters(sc, seed, replication)  # the hospital's own A/R aging report
    given_days = given["service_day"] if given is not None else np.zeros(0)
    warm_up_days = _warm_up_days(sim, seed, replication)
    service_day = np.concatenate([book_days, given_days, warm_up_days, stream_days])
    n_book = sim.open_book_accounts + len(given_days)
    open_book = np.zeros(len(service_day), bool)
    open_book[:n_book] = True
    n = len(service_day)

    rng = stream(seed, replication, "amounts")
    shares = np.array([p.share for p in sc.payers.values()])
    payer = rng.choice(len(payer_names), size=n, p=shares / shares.sum())
    z = rng.standard_normal(n)
    emerg_u = rng.random(n)
    median = np.array([p.allowed_median for p in sc.payers.values()])[payer]
    sigma = np.array([p.allowed_sigma for p in sc.payers.values()])[payer]
    allowed_cents = np.maximum(100, np.round(median * np.exp(sigma * z) * 100)).astype(np.int64)
    pshare = np.array([p.patient_share for p in sc.payers.values()])[payer]
    patient_cents = np.round(allowed_cents * pshare).astype(np.int64)
    claim_cents = allowed_cents - patient_cents
    emergency = emerg_u < np.array([p.emergency_share for p in sc.payers.values()])[payer]
    if given is not None:  # the report's accounts, with the amounts it gives (their care paid before day 0)
        at = slice(sim.open_book_accounts, n_book)
        payer[at], claim_cents[at], patient_cents[at] = given["payer"], given["claim_cents"], given["patient_cents"]
        allowed_cents[at] = claim_cents[at] + patient_cents[at]
        emergency[at] = False
    secondary = _secondary(sc, seed, replication, payer, patient_cents)
    if secondary is not None:  # the book's accounts: their claims are the report's, no secondary
        patient_cents[:n_book] += secondary["secondary_cents"][:n_book]
        secondary["secondary_cents"][:n_book] = 0
    pop = _latent(sc, replication, seed, service_day, open_book, payer, allowed_cents, claim_cents,
                  patient_cents, emergency, paper_bill=None, disputed_bill=np.zeros(n, bool),
                  secondary=secondary)
    if given is not None:
        claims_pending_from_day_0(pop, n_book, sc)
    return pop


def _warm_up_days(sim, seed: int, replication: int) -> np.ndarray:
    """Service days of the warm-up's encounters, in ``[-warm_up_days, 0)`` at the scenario's rate
    (:mod:`simlib.model.measurement_window`), from their own stream: the encounters of the
    measurement window are the same with or without a warm-up."""
    w = sim.warm_up_days
    if w <= 0:
        return np.zeros(0)
    rng = stream(seed, replication, "warm_up_arrivals")
    return np.sort(rng.uniform(-w, 0.0, rng.poisson(sim.encounters_per_day * w)))


def _latent(sc: Scenario, replication: int, seed: int, service_day, open_book, payer, allowed_cents,
            claim_cents, patient_cents, emergency, paper_bill, disputed_bill,
            secondary: dict | None = None) -> Population:
    """Every latent draw of the encounters given (the same streams whatever made the encounters)."""
    beh, n = sc.behaviour, len(service_day)
    payer_names, channel_names = tuple(sc.payers), tuple(sc.channels)

    rng = stream(seed, replication, "traits")
    pat = sc.patients
    ability = pat.ability_monthly_median * np.exp(pat.ability_sigma * rng.standard_normal(n))
    propensity = _lognormal_mean_one(rng, pat.propensity_sigma, n)
    price_sens = rng.gamma(2.0, pat.price_sensitivity_mean / 2.0, n) if pat.price_sensitivity_mean > 0 \
        else np.zeros(n)
    observed = np.log(propensity) + pat.score_noise_sd * rng.standard_normal(n)
    score_pct = np.empty(n)
    score_pct[np.argsort(observed, kind="stable")] = np.arange(n) / max(n, 1)
    reach_u = rng.random((n, len(channel_names)))

    rng = stream(seed, replication, "thresholds")
    k = beh.max_payments
    threshold = rng.standard_exponential((n, k))
    fraction_u = rng.random((n, k))
    full_u = rng.random((n, k))

    rng = stream(seed, replication, "claims")
    lag_sub = np.array([p.submission_lag_days for p in sc.payers.values()])[payer]
    adj_min = np.array([p.adjudication_days_min for p in sc.payers.values()])[payer]
    adj_mean = np.array([p.adjudication_days_mean for p in sc.payers.values()])[payer]
    submit_lag = lag_sub * rng.standard_exponential(n)
    adjudication_lag = adj_min + (adj_mean - adj_min) * rng.standard_exponential(n)
    denial_u = rng.random(n)
    rounds = max(sc.operations.denials_team.max_rounds, 1)
    overturn_u = rng.random((n, rounds))
    review_u = rng.random((n, rounds))

    planner_u = stream(seed, replication, "planners").random(n)
    dispute_delay_z = stream(seed, replication, "dispute_delay").standard_normal(n)
    medium_u = stream(seed, replication, "bill_medium").random(n)
    if paper_bill is None:
        pt = beh.payment_timing
        paper_bill = medium_u < (pt.paper_bill_share if pt is not None else 0.0)

    contact_resp = _contact_responsiveness(stream(seed, replication, "contact_traits"), pat, propensity)
    rng = stream(seed, replication, "contact_response")
    opt_out_u = rng.random((n, len(channel_names)))
    complaint_u = rng.random((n, len(channel_names)))

    pending, others = lever_draws(sc, seed, replication, n, {f.name for f in dataclasses.fields(Population)})
    return Population(
        **(secondary or {}), lever_draws=others, pending_draws=pending,
        n=n, payer_names=payer_names, channel_names=channel_names, service_day=service_day,
        open_book=open_book, payer=payer, allowed_cents=allowed_cents, claim_cents=claim_cents,
        patient_cents=patient_cents, emergency=emergency, ability_monthly=ability,
        propensity=propensity, price_sensitivity=price_sens, score_pct=score_pct, reach_u=reach_u,
        threshold=threshold, fraction_u=fraction_u, full_u=full_u, submit_lag=submit_lag,
        adjudication_lag=adjudication_lag, denial_u=denial_u, overturn_u=overturn_u,
        review_u=review_u, seed=seed, replication=replication,
        planner_u=planner_u, paper_bill=paper_bill, disputed_bill=disputed_bill, dispute_delay_z=dispute_delay_z,
        contact_responsiveness=contact_resp, opt_out_u=opt_out_u, complaint_u=complaint_u,
    )


@dataclass(frozen=True)
class Bills:
    """Patient bills given by a table instead of drawn (e.g. the invoices of a payment history):
    one self-pay encounter each, billed on ``service_day`` (days from the table's origin) for
    ``patient_cents``, with the bill's ``disputed`` and ``paper`` flags. No insurer claim, payer
    the scenario's first, never an emergency; every latent trait is drawn as usual."""

    service_day: np.ndarray
    patient_cents: np.ndarray
    disputed: np.ndarray
    paper: np.ndarray

    def __post_init__(self):
        n = len(self.service_day)
        if any(len(a) != n for a in (self.patient_cents, self.disputed, self.paper)):
            raise ValueError("Bills: service_day, patient_cents, disputed and paper differ in length")
        if n and np.min(self.patient_cents) <= 0:
            raise ValueError("Bills: every patient_cents must be > 0")


def _from_bills(sc: Scenario, bills: Bills, replication: int, seed: int) -> Population:
    n = len(bills.service_day)
    cents = np.asarray(bills.patient_cents, np.int64)
    return _latent(sc, replication, seed, np.asarray(bills.service_day, float), np.zeros(n, bool),
                   np.zeros(n, np.int64), cents.copy(), np.zeros(n, np.int64), cents.copy(),
                   np.zeros(n, bool), np.asarray(bills.paper, bool), np.asarray(bills.disputed, bool))
