"""Issue 21, item 4 (adversarial corpus): scenario files that validated OK on af304e3 and then
silently changed the answer are refused with one line naming the field; ``validate`` runs every
check ``report`` and ``search`` run, and ``report`` exits 2 (not 4) for an invalid file."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from simlib.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASE = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))


def _no_baseline(d):
    for st in d["strategies"].values():
        st.pop("baseline", None)


def _same_label(d):
    d["strategies"]["calls"]["label"] = d["strategies"]["letters_only"]["label"].upper() + "  "


def _late_step(d):
    d["strategies"]["calls"]["ladder"].append({"day": 600, "channel": "sms"})


def _zero_call_cap(d):
    d["strategies"]["calls"]["contact_limits"] = {"calls_per_7_days_max": 0}


def _inactive_uncertain(d):
    d["strategies"] = {k: v for k, v in d["strategies"].items() if "deposit" not in v}
    d["uncertain"] = d["uncertain"][:1]
    d["search"] = None
    d["sensitivity"] = None


def _search_add_existing(d):
    d["search"]["add"]["ladder"] = [{"day": 10, "channel": "sms"}]


CASES = {
    "billing window beyond the horizon": (
        lambda d: d["simulation"].update(billing_window_days=700, horizon_days=540, measurement_day=365),
        "simulation.billing_window_days: 700 is beyond horizon_days 540"),
    "no strategy marked baseline": (_no_baseline, "strategies: no strategy has baseline: true"),
    "encounters_per_day: true": (lambda d: d["simulation"].update(encounters_per_day=True),
                                 "simulation.encounters_per_day: expected a number; found true"),
    "a yes/no reach of a channel": (lambda d: d.setdefault("channels", {}).update(sms={"reach": True}),
                                    "channels.sms.reach: expected a number; found true"),
    "two strategies with the same label": (_same_label, "strategies.calls.label:"),
    "a ladder step after the horizon": (_late_step, "strategies.calls.ladder.6.day: 600 is after the horizon"),
    "a call cap of 0 with call steps and a phone team": (
        _zero_call_cap, "strategies.calls.contact_limits.calls_per_7_days_max: 0 forbids every call"),
    "an uncertain path that matches nothing": (_inactive_uncertain,
                                               "uncertain.0.path: strategies.*.deposit.compliance_rate matches no number"),
    "search.add of a lever the template has": (_search_add_existing,
                                               "search.add.ladder: the template 'combined' already has a ladder"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_silent_case_is_refused_with_one_line(tmp_path, capsys, case):
    mutate, expected = CASES[case]
    d = copy.deepcopy(BASE)
    mutate(d)
    f = tmp_path / "case.yaml"
    f.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert expected in err


def test_validate_runs_the_sensitivity_checks_and_report_exits_2(tmp_path, capsys):
    d = copy.deepcopy(BASE)
    d["sensitivity"] = {"factors": [{"label": "Measurement day", "path": "simulation.measurement_day",
                                     "low": 100, "high": 1000, "mode": "set"}]}
    f = tmp_path / "sens.yaml"
    f.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert "sensitivity.factors.0" in err
    assert main(["report", str(f), "--replications", "2", "--out", str(tmp_path / "out")]) == 2
    assert "sensitivity.factors.0" in capsys.readouterr().err
    assert not (tmp_path / "out" / "baseline").exists()


def test_the_baseline_files_still_validate(capsys):
    for f in sorted((ROOT / "parameters").glob("*.yaml")):
        assert main(["validate", str(f)]) == 0, capsys.readouterr().err
