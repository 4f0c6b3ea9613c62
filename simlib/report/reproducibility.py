"""The reproducibility footer: seed, replications, parameter hash, versions and date — enough to
rerun the report and get the same numbers."""
from __future__ import annotations

from simlib.core.language import N_, _, localised
from simlib.report.markup import Markup, _format_date, _html, esc, html_words
from simlib.report.results import _replications


def reproducibility_footer(res):
    """Seed, replications, parameter hash, simlib and package versions, date: enough to rerun."""
    prov = dict(getattr(res, "provenance", {}) or {})
    versions = prov.get("versions") or {}
    items = [
        (N_("Scenario"), prov.get("scenario_name", res.scenario.name)),
        (N_("Master seed"), prov.get("seed")),
        (N_("Replications"), prov.get("replications", _replications(res))),
        (N_("Parameter hash"), prov.get("parameter_hash", res.scenario.parameter_hash())),
        (N_("simlib version"), prov.get("simlib_version")),
        (N_("Computed"), _format_date(prov["created"]) if prov.get("created") else None),
        (N_("Workers"), prov.get("workers")),
        (N_("Packages"), ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) or None),
    ]
    body = " · ".join(html_words(_("{name}: {value}"), name=_(k), value=v) for k, v in items if v not in (None, ""))
    if prov.get("precision_target"):
        body += "</p><p>" + html_words(_(
            "Replications were added in batches until the 95 % confidence half-width of "
            "the NPV of net collections was under {target} of its mean "
            "for every strategy (or the cap was reached): {replications} "
            "replications were needed."), target=localised(f"{prov['precision_target']:.1%}"), replications=prov.get("replications"))
    rerun = html_words(_("Rerun with {code_start}simlib report{code_end} on the same parameter file with the same "
                         "seed and number of replications to get identical numbers (independent of the "
                         "number of workers)."), code_start=Markup("<code>"), code_end=Markup("</code>"))
    return _html(f"<div class=\"footer\"><h2>{esc(_('Reproducibility'))}</h2><p>{body}</p>"
                 f"<p>{rerun}</p></div>")
