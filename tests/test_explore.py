"""The exploration notebook: its machinery (a control change runs again and updates the numbers;
a refused combination shows its error) and the notebook itself executed headless with papermill."""
from __future__ import annotations

from pathlib import Path

import pytest

from simlib.report.explore import explorer, lever_changes
from tests.test_report import tiny_yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_yaml(tmp_path_factory.mktemp("explore") / "tiny.yaml", name="tiny")


def test_a_control_change_runs_again_against_the_status_quo(tiny):
    box = explorer(str(tiny), "combined", replications=3, encounters_per_day=3, seed=4)
    first = box.state["frame"]
    assert first is not None and set(first["against"]) == {"letters_only"}
    assert first["metric"].iloc[0].startswith("npv_")
    assert "patient_collection_rate" in set(first["metric"])
    box.controls["deposit_share"].value = 0.0  # an observer runs again, as a click in JupyterLab does
    second = box.state["frame"]
    assert second is not first
    npv = [f.set_index("metric")["diff"].iloc[0] for f in (first, second)]
    assert npv[0] != npv[1]  # removing the deposit changes the gain


def test_lever_changes_follow_the_controls(tiny):
    from simlib.scenario.schema import load_scenario
    sc = load_scenario(tiny)
    ch = lever_changes(sc.strategies["combined"], discount_rate=0.0, deposit_share=0.3, sms_reminders=False,
                       agents=0, plan_offer=True, plan_months=6)
    assert ch["prompt_pay_discount"] is None and ch["deposit"]["share"] == 0.3 and ch["phone_team"] is None
    assert {s["channel"] for s in ch["ladder"]} <= {"letter", "formal_demand"}
    assert ch["payment_plan"]["max_months"] == 6
    changed = sc.variant("x", from_="combined", **ch)  # a valid strategy
    assert changed.strategies["x"].payment_plan.max_months == 6


def test_explore_notebook_runs_headless(tiny, tmp_path):
    import papermill as pm

    out = tmp_path / "explore.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / "explore.ipynb"), str(out), cwd=str(tmp_path),
                        parameters={"scenario_file": str(tiny), "replications": 2, "encounters_per_day": 3},
                        kernel_name="python3", progress_bar=False,
                        execution_timeout=600)  # a lost kernel reply (papermill #711) fails here, not at CI's limit
    import nbformat
    nb = nbformat.read(str(out), as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)


def test_the_explorer_speaks_the_language_it_is_given(tiny):
    """Issue 23: with ``language: fr`` (the notebook's parameter) the notebook's introduction (above
    the controls), the controls, the heading and the table are in French, numbers with a decimal
    comma; the kernel's language is the explorer's. In English the box has no introduction (the
    notebook's own markdown cell is it)."""
    from simlib.core.language import set_language

    try:
        box = explorer(str(tiny), "combined", replications=2, encounters_per_day=3, seed=4, language="fr")
        from simlib.report.explore import table_html
        html = table_html(box.state["frame"], 2).data
    finally:
        set_language()  # the rest of the session in English
    assert box.controls["plan_offer"].description == "Proposer un échéancier"
    assert box.controls["agents"].description == "Agents au téléphone"
    intro, head = box.children[0].value, box.children[1].value
    assert "<h3>Explorer une stratégie</h3>" in intro and "<code>simlib report</code>" in intro
    assert "Move a control" not in intro and "against the status quo" not in intro  # the intro in French
    assert "face au statu quo, 2 simulations de 3 séjours par jour" in head
    assert "Écart avec le statu quo, apparié sur 2 simulations" in html and "Indicateur" in html
    assert "Change against" not in html and "Metric" not in html


def test_the_introduction_is_the_notebook_s_in_spanish_and_none_in_english():
    from simlib.core.language import speaking
    from simlib.report.explore import intro_html

    with speaking("es"):
        intro = intro_html()
    assert intro.startswith("<h3>Explorar una estrategia</h3>") and "situación actual" in intro
    assert intro_html() == ""
