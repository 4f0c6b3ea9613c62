"""Payment timing with planners: the ``behaviour.payment_timing`` block of a scenario.

A share of patients are *planners*: they pay on a planned day, when the planned-day hazard
H(u) = ((u - s)+ / eta)^k of their active time u since the statement reaches their Exp(1)
threshold (the same threshold a prompted payer's integrated intensity must reach, so the same
patient pays at the same latent quantile under any parameters). The rest are *prompted payers*:
the intensity of ``behaviour`` scaled by the covariate factors. The model, its likelihood and how
planners meet contacts, disputes, plans and agencies: ``docs/model.md`` ("Planners");
the fit that produces the numbers: ``docs/calibration.md``.

The block has the parameter names of ``simlib calibrate fit``'s ``fitted.yaml``
(``behaviour.payment_timing``), so a scenario may

- paste that block under ``behaviour.payment_timing``: the prompted payer's intensity
  parameters in it (:data:`INTENSITY_KEYS`, the same names and meaning as ``behaviour``'s) are
  moved up into ``behaviour``; giving one in both places is an error;
- or name the file: ``behaviour: {payment_timing: fitted.yaml}`` (a path relative to the
  scenario file), read as if pasted.

Absent, or with ``planner_share: 0`` and neutral covariates, the engine behaves exactly as without it.
This module imports only the settings base and the safe YAML reader.
"""
from __future__ import annotations

from math import exp
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from simlib.core.settings import Fraction, NonNeg, ScenarioError, Strict

#: The prompted payer's intensity parameters of fitted.yaml: ``behaviour`` fields of the same name.
INTENSITY_KEYS = ("initial_per_day", "decay_per_day", "floor_per_day", "due_date_jump_per_day",
                  "balance_elasticity", "balance_ref")

Factor = Annotated[float, Field(ge=0.0, le=100.0)]


class PaymentTimingSettings(Strict):
    """Planners and bill covariates (fitted by ``simlib calibrate fit``; ``docs/model.md``).

    - ``planner_share``: patients who pay on a planned day (a latent uniform per patient decides);
    - ``planned_day_scale_of_terms`` (x credit terms) and ``planned_day_shape``: the planned day
      is ``delay + scale_of_terms x max(terms, 1 day) x Weibull(1, shape)`` active days after the
      statement; ``dispute_delay_days`` / ``paper_delay_days``: the delay of a disputed bill / a
      paper bill; ``dispute_delay_log_sd``: a disputed bill's delay is lognormal with mean
      ``dispute_delay_days`` and this sd of its log (one normal draw per patient; 0: the same delay
      for every dispute, as before issue 25);
    - ``dispute_intensity_factor`` / ``paper_intensity_factor``: multiply a patient's
      responsiveness (every prompt: statement, due date, contacts) when the bill is disputed /
      on paper;
    - ``paper_bill_share``: share of drawn patients billed on paper (a latent uniform per patient);
      a population built from a history takes each bill's flag instead;
    - ``planner_prompt_response``: a planner's responsiveness before the planned payment, as a share
      of a prompted payer's (0: prompts do not move a planner, as fitted; 1: a planner is also a
      prompted payer). Not identifiable from a history without contacts: an assumption to sweep.
    """

    planner_share: Fraction = 0.0
    planned_day_scale_of_terms: Annotated[float, Field(gt=0.0, le=100.0)] = 0.9
    planned_day_shape: Annotated[float, Field(gt=0.0, le=100.0)] = 3.0
    dispute_delay_days: NonNeg = 0.0
    dispute_delay_log_sd: Annotated[float, Field(ge=0.0, le=5.0)] = 0.0
    paper_delay_days: NonNeg = 0.0
    dispute_intensity_factor: Factor = 1.0
    paper_intensity_factor: Factor = 1.0
    paper_bill_share: Fraction = 0.0
    planner_prompt_response: Fraction = 0.0


def resolve_block(data: Any, source: str | None) -> Any:
    """``behaviour`` input with ``payment_timing`` read from its file (if a path) and its intensity
    parameters moved up; raise ``ValueError`` with one line per problem."""
    if not isinstance(data, dict) or data.get("payment_timing") is None:
        return data
    block, origin = data["payment_timing"], "behaviour.payment_timing"
    if isinstance(block, str):
        block, origin = _read_fitted(block, source), block
    if not isinstance(block, dict):
        return data  # pydantic names the wrong type
    data = dict(data)
    block = dict(block)
    problems = []
    for key in INTENSITY_KEYS:
        if key in block:
            value = block.pop(key)
            if key in data and data[key] != value:
                problems.append(f"{key}: given both in behaviour ({data[key]!r}) and in {origin} "
                                f"({value!r}); give it once")
            data[key] = value
    if problems:
        raise ValueError("\n".join(problems))
    data["payment_timing"] = block
    return data


def _read_fitted(name: str, source: str | None) -> dict:
    from simlib.core.yaml_reading import read_yaml  # the safe reader (size, encoding, duplicate keys)

    base = Path(source).parent if source and not source.startswith("<") else Path(".")
    path = Path(name) if Path(name).is_absolute() else base / name
    try:
        doc = read_yaml(path)
    except ScenarioError as exc:
        raise ValueError(f"payment_timing: {'; '.join(exc.problems)} (reading {path})") from None
    block = doc.get("behaviour") if isinstance(doc, dict) else None
    timing = block.get("payment_timing") if isinstance(block, dict) else None
    if not isinstance(timing, dict):
        raise ValueError(f"payment_timing: {path}: expected a 'behaviour: payment_timing:' block "
                         f"(written by `simlib calibrate fit`)")
    return timing


def covariate_factor(pt: PaymentTimingSettings, disputed: bool, paper: bool) -> float:
    """Multiplier of a patient's responsiveness from the bill's dispute and paper flags."""
    return (pt.dispute_intensity_factor if disputed else 1.0) * (pt.paper_intensity_factor if paper else 1.0)


def planned_delay_days(pt: PaymentTimingSettings, disputed: bool, paper: bool, normal: float = 0.0) -> float:
    """Active days before a planner's hazard starts; ``normal`` is the patient's Z of the dispute
    delay (lognormal: mean ``dispute_delay_days``, log-sd ``dispute_delay_log_sd``)."""
    sigma = pt.dispute_delay_log_sd
    dispute = pt.dispute_delay_days * (exp(sigma * normal - 0.5 * sigma * sigma) if sigma > 0 else 1.0)
    return (dispute if disputed else 0.0) + (pt.paper_delay_days if paper else 0.0)


def planned_scale_days(pt: PaymentTimingSettings, terms_days: float) -> float:
    """Weibull scale of the planned day: a multiple of the credit terms (at least one day)."""
    return pt.planned_day_scale_of_terms * max(terms_days, 1.0)
