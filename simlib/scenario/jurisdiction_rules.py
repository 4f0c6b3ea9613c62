"""The checks of a scenario against its jurisdiction's rules (:mod:`simlib.scenario.jurisdiction`).

Each rule of a jurisdiction file that a strategy can break has one check here; each problem is
one line naming the field, the rule and its source, so that `simlib validate` says which law a
strategy breaks and where it is written (docs/jurisdictions.md lists the rules per country).
"""
from __future__ import annotations

from typing import Any

from simlib.levers.contact_limits import in_quiet_hours
from simlib.scenario.jurisdiction import ContactRule, Jurisdiction, Sourced, jurisdiction

#: hours sampled to compare quiet hours with the hours the law allows (every quarter hour)
_QUARTER_HOURS = [k / 4 for k in range(96)]


def _cite(rule: Sourced) -> str:
    return f"({rule.rule}; source: {rule.source})"


def jurisdiction_problems(sc: Any) -> list[str]:
    """One line per rule of ``sc``'s jurisdiction that ``sc`` or one of its strategies breaks."""
    j = jurisdiction(sc.jurisdiction)
    out = _charity(sc, j) + _public_hospital(sc, j)
    for name, st in sc.strategies.items():
        at = f"strategies.{name}"
        out += _public_accountant(st, sc, j, at)
        out += _credit_reporting(st, sc, j, at)
        for f in j.forbidden_levers:
            if getattr(st, f.lever, None) is not None:
                out.append(f"{at}.{f.lever}: forbidden in {j.name} {_cite(f)}; remove it")
        out += _charges(st, sc, j, at)
        out += _legal_action(st, sc, j, at)
        if j.contact.applies_to == "all":
            out += _contact_limits(st, sc, j, at)
            out += _message_spacing(st, sc, j.contact, at)
            out += _phone_team(st, j.contact, at, j.name)
        if j.contact.applies_to in ("all", "agency"):
            out += _agency_calls(st, j.contact, at, j.name)
    return out


def _charity(sc: Any, j: Jurisdiction) -> list[str]:
    if not j.charity.us_501r and sc.finance.us_nonprofit:
        return [f"finance.us_nonprofit: expected false in {j.name}: the US nonprofit rules do not apply "
                f"{_cite(j.charity)}; found true"]
    return []


def _charges(st: Any, sc: Any, j: Jurisdiction, at: str) -> list[str]:
    """Collection charges where the law allows none, too early, above every bracket's cap, or
    capped in UF while the money is not pesos."""
    ch, law = getattr(st, "collection_charges", None), j.collection_charges
    if ch is None:
        return []
    if not law.allowed:
        return [f"{at}.collection_charges: charges for collecting may not be added to a patient's "
                f"bill in {j.name} {_cite(law)}; remove it"]
    out = []
    if ch.after_days_past_due < law.after_days_past_due:
        out.append(f"{at}.collection_charges.after_days_past_due: expected at least "
                   f"{law.after_days_past_due:g} days of delay in {j.name} {_cite(law)}; found {ch.after_days_past_due:g}")
    top = max((b.rate for b in law.brackets), default=None)
    if top is not None and ch.rate > top:
        out.append(f"{at}.collection_charges.rate: expected at most {top * 100:g} % (the highest bracket's "
                   f"cap) in {j.name} {_cite(law)}; found {ch.rate * 100:g} %")
    if law.brackets and law.uf_value_clp is not None and sc.currency != "CLP":
        out.append(f"{at}.collection_charges: the caps of {j.name} are in UF valued in pesos; expected "
                   f"currency: CLP; found {sc.currency}")
    return out


#: a year in days, for limitation periods given in years
YEAR_DAYS = 365.25


def _legal_action(st: Any, sc: Any, j: Jurisdiction, at: str) -> list[str]:
    """A court case filed after the limitation period, or (US nonprofit) an early suit."""
    la, out = getattr(st, "legal_action", None), []
    if la is None:
        return out
    limit = j.limitation_period.years * YEAR_DAYS
    filed = sc.operations.statement_lag_days + la.filing_days  # days after service
    if filed > limit:
        out.append(f"{at}.legal_action.filing_days: expected a filing before the limitation period of "
                   f"{j.limitation_period.years:g} years ({limit:,.0f} days after the care) in {j.name} "
                   f"{_cite(j.limitation_period)}; found day {filed:g} after the care")
    if j.charity.us_501r and sc.finance.us_nonprofit:
        if la.filing_days < 120:
            out.append(f"{at}.legal_action.filing_days: a suit is an extraordinary collection action, not "
                       f"before 120 days after the first statement for a US nonprofit {_cite(j.charity)}; "
                       f"expected >= 120; found {la.filing_days:g}")
        if la.notice_days_before < 30:
            out.append(f"{at}.legal_action.notice_days_before: a US nonprofit must give written notice at "
                       f"least 30 days before an extraordinary collection action {_cite(j.charity)}; "
                       f"expected >= 30; found {la.notice_days_before:g}")
    return out


def _contact_limits(st: Any, sc: Any, j: Jurisdiction, at: str) -> list[str]:
    rule, cl, out = j.contact, st.contact_limits, []
    for field, cap in (("calls_per_7_days_max", rule.calls_per_7_days_max),
                       ("messages_per_7_days_max", rule.messages_per_7_days_max)):
        found = getattr(cl, field)
        if cap is not None and (found is None or found > cap):
            out.append(f"{at}.contact_limits.{field}: expected at most {cap} in {j.name} {_cite(rule)}; "
                       f"found {'no limit' if found is None else found}")
    if rule.messages_include_mail and rule.messages_per_7_days_max is not None:
        counted = set(cl.message_cap_channels or ())
        if cl.message_cap_channels is None:
            from simlib.levers.contact_limits import default_counted
            counted = set(default_counted(sc.channels))
        missing = sorted(n for n, c in sc.channels.items() if c.kind == "message" and n not in counted)
        if missing:
            out.append(f"{at}.contact_limits.message_cap_channels: expected every message channel counted "
                       f"(mail too) in {j.name} {_cite(rule)}; not counted: {', '.join(missing)}")
    if rule.contact_hours is not None:
        start, end = rule.contact_hours
        outside = [h for h in _QUARTER_HOURS if not start <= h < end]
        if any(not in_quiet_hours(h, cl.quiet_hours) for h in outside):
            found = "none" if cl.quiet_hours is None else f"[{cl.quiet_hours[0]:g}, {cl.quiet_hours[1]:g}]"
            out.append(f"{at}.contact_limits.quiet_hours: expected to cover every hour outside "
                       f"{start:g}:00-{end:g}:00, e.g. [{end:g}, {start:g}], in {j.name} {_cite(rule)}; found {found}")
    return out


def _message_spacing(st: Any, sc: Any, rule: ContactRule, at: str) -> list[str]:
    """Two messages of the reminder ladder (every message channel) closer than the law allows."""
    gap = rule.message_spacing_days_min
    if gap is None:
        return []
    terms = st.credit_terms_days
    days = sorted((s.day + (terms if s.relative_to == "due_date" else 0.0), i)
                  for i, s in enumerate(st.ladder)
                  if s.channel in sc.channels and sc.channels[s.channel].kind == "message")
    for (d0, i0), (d1, i1) in zip(days, days[1:]):
        if d1 - d0 < gap:
            return [f"{at}.ladder.{i1}.day: expected messages at least {gap:g} days apart {_cite(rule)}; "
                    f"found steps {i0} and {i1} {d1 - d0:g} days apart (day {d0:g} and {d1:g} after the statement)"]
    return []


def _phone_team(st: Any, rule: ContactRule, at: str, country: str) -> list[str]:
    team, out = st.phone_team, []
    if team is None:
        return out
    if rule.contact_hours is not None and not (rule.contact_hours[0] <= team.hours[0]
                                               and team.hours[1] <= rule.contact_hours[1]):
        out.append(f"{at}.phone_team.hours: expected within [{rule.contact_hours[0]:g}, "
                   f"{rule.contact_hours[1]:g}] in {country} {_cite(rule)}; found "
                   f"[{team.hours[0]:g}, {team.hours[1]:g}]")
    banned = sorted(set(team.working_days) & set(rule.no_contact_weekdays))
    if banned:
        out.append(f"{at}.phone_team.working_days: expected no contact on weekday(s) {banned} "
                   f"(0 = Monday … 6 = Sunday) in {country} {_cite(rule)}; found {sorted(team.working_days)}")
    return out


def _agency_calls(st: Any, rule: ContactRule, at: str, country: str) -> list[str]:
    """The agency's contacts (each counted as a call) in any 7 consecutive days."""
    ag, cap = st.agency, rule.calls_per_7_days_max
    if ag is None or cap is None or not ag.contact_days:
        return []
    days = sorted(ag.contact_days)
    worst = max(sum(1 for d in days if d0 <= d < d0 + 7) for d0 in days)
    if worst > cap:
        return [f"{at}.agency.contact_days: expected at most {cap} contacts in any 7 days (each is a call) "
                f"in {country} {_cite(rule)}; found {worst}"]
    return []


def _public_hospital(sc: Any, j: Jurisdiction) -> list[str]:
    """A public hospital where the jurisdiction has no public accountant's path."""
    if sc.finance.public_hospital and j.public_recovery is None:
        return [f"finance.public_hospital: expected false in {j.name}: its jurisdiction file has no public "
                f"accountant's recovery path (simlib/scenario/jurisdictions/{j.code.lower()}.yaml, "
                f"public_recovery); found true"]
    return []


def _public_accountant(st: Any, sc: Any, j: Jurisdiction, at: str) -> list[str]:
    """The public accountant's recovery: only for a public hospital of a jurisdiction that has it,
    not sooner than the law's wait after the formal demand, not below the law's threshold; and the
    levers a public hospital may not use."""
    pa, law, out = getattr(st, "public_accountant", None), j.public_recovery, []
    if sc.finance.public_hospital and j.public_hospital is not None:
        for lever in j.public_hospital.levers:
            if getattr(st, lever, None) is not None:
                out.append(f"{at}.{lever}: a public hospital may not use it in {j.name} {_cite(j.public_hospital)}; "
                           f"remove it (the public_accountant section recovers its bills)")
    if pa is None:
        return out
    if law is None:
        return out + [f"{at}.public_accountant: no public accountant recovers bills in {j.name} (its jurisdiction "
                      f"file has no public_recovery rule); remove it"]
    if not sc.finance.public_hospital:
        out.append(f"{at}.public_accountant: only a public hospital's bills are recovered by the public "
                   f"accountant {_cite(law)}; expected finance.public_hospital: true; found false")
    if pa.seizure_days_after_demand < law.demand_wait_days:
        out.append(f"{at}.public_accountant.seizure_days_after_demand: expected at least {law.demand_wait_days:g} "
                   f"days after the formal demand in {j.name} {_cite(law)}; found {pa.seizure_days_after_demand:g}")
    floor = law.seizure_min_balance.get(pa.garnishee)
    if pa.balance_min is not None and floor is not None and pa.balance_min < floor:
        out.append(f"{at}.public_accountant.balance_min: expected at least {floor:g} for a garnishment at the "
                   f"{pa.garnishee} in {j.name} ({law.threshold_rule}; source: {law.threshold_source}); "
                   f"found {pa.balance_min:g}")
    if floor is not None and sc.currency != j.currency:
        out.append(f"{at}.public_accountant: the thresholds of {j.name} are in {j.currency}; expected currency: "
                   f"{j.currency}; found {sc.currency}")
    return out


def _credit_reporting(st: Any, sc: Any, j: Jurisdiction, at: str) -> list[str]:
    """Credit reporting where the law forbids it, or before the bureaus' wait, or below their floor."""
    cr, law = getattr(st, "credit_reporting", None), j.credit_reporting
    if cr is None:
        return []
    if not law.allowed:
        return [f"{at}.credit_reporting: a patient's bill may not be reported to a credit bureau in {j.name} "
                f"{_cite(law)}; remove it"]
    out = []
    if cr.report_days < law.wait_days:
        out.append(f"{at}.credit_reporting.report_days: expected at least {law.wait_days:g} days after the "
                   f"statement in {j.name} {_cite(law)}; found {cr.report_days:g}")
    if cr.balance_min < law.balance_min:
        out.append(f"{at}.credit_reporting.balance_min: expected at least {law.balance_min:,g} {j.currency} in "
                   f"{j.name} {_cite(law)}; found {cr.balance_min:,g}")
    if law.balance_min > 0 and sc.currency != j.currency:
        out.append(f"{at}.credit_reporting: the bureaus' floor in {j.name} is in {j.currency}; expected currency: "
                   f"{j.currency}; found {sc.currency}")
    return out
