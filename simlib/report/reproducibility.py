"""The reproducibility footer: seed, replications, parameter hash, versions and date — enough to
rerun the report and get the same numbers."""
from __future__ import annotations

from simlib.report.markup import _format_date, _html, esc
from simlib.report.results import _replications


def reproducibility_footer(res):
    """Seed, replications, parameter hash, simlib and package versions, date: enough to rerun."""
    prov = dict(getattr(res, "provenance", {}) or {})
    versions = prov.get("versions") or {}
    items = [
        ("Scenario", prov.get("scenario_name", res.scenario.name)),
        ("Master seed", prov.get("seed")),
        ("Replications", prov.get("replications", _replications(res))),
        ("Parameter hash", prov.get("parameter_hash", res.scenario.parameter_hash())),
        ("simlib version", prov.get("simlib_version")),
        ("Computed", _format_date(prov["created"]) if prov.get("created") else None),
        ("Workers", prov.get("workers")),
        ("Packages", ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) or None),
    ]
    body = " · ".join(f"{esc(k)}: {esc(v)}" for k, v in items if v not in (None, ""))
    if prov.get("precision_target"):
        body += (f"</p><p>Replications were added in batches until the 95 % confidence half-width of "
                 f"the NPV of net collections was under {prov['precision_target']:.1%} of its mean "
                 f"for every strategy (or the cap was reached): {esc(prov.get('replications'))} "
                 f"replications were needed.")
    return _html(f"<div class=\"footer\"><h2>Reproducibility</h2><p>{body}</p>"
                 "<p>Rerun with <code>simlib report</code> on the same parameter file with the same "
                 "seed and number of replications to get identical numbers (independent of the "
                 "number of workers).</p></div>")
