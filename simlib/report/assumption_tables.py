"""Every resolved parameter of the scenario as tables, generated from the parameters themselves."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simlib.report.markup import _html, esc
from simlib.report.param_words import _fmt_param, _humanise


def _kv_table(caption: str, model) -> str:
    rows = []
    for name, value in model.model_dump().items():
        if isinstance(value, dict):
            continue
        rows.append(f"<tr><th scope=\"row\">{esc(_humanise(name))}</th>"
                    f"<td class=\"num\">{esc(_fmt_param(name, value))}</td></tr>")
    return f"<table><caption>{esc(caption)}</caption><tbody>{''.join(rows)}</tbody></table>"


def _wide_table(caption: str, models: Mapping[str, Any], first: str) -> str:
    dumps = {k: m.model_dump() for k, m in models.items()}
    fields = list(dict.fromkeys(f for d in dumps.values() for f in d))
    head = "".join(f"<th scope=\"col\">{esc(_humanise(f))}</th>" for f in fields)
    rows = []
    for key, d in dumps.items():
        cells = "".join(f"<td class=\"num\">{esc(_fmt_param(f, d.get(f)))}</td>" for f in fields)
        rows.append(f"<tr><th scope=\"row\">{esc(key)}</th>{cells}</tr>")
    return (f"<table><caption>{esc(caption)}</caption><thead><tr><th scope=\"col\">{esc(first)}</th>"
            f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def assumptions(res):
    """Every resolved parameter of the scenario, grouped, generated from the parameters themselves."""
    scen = res.scenario
    parts = [
        _kv_table("Simulation", scen.simulation),
        _kv_table("Finance", scen.finance),
        _wide_table("Payers", scen.payers, "Payer"),
        _kv_table("Patients (latent traits)", scen.patients),
        _kv_table("Payment behaviour (intensities per day)", scen.behaviour),
        _wide_table("Contact channels", scen.channels, "Channel"),
        _kv_table("Operations", scen.operations),
        _kv_table("Denials team", scen.operations.denials_team),
        _kv_table("Billing team (disputes)", scen.operations.billing_team),
    ]
    return _html("\n".join(parts))
