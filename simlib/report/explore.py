"""The exploration notebook's machinery (``notebooks/explore.ipynb``): the key levers of one strategy
as controls, a small fast run on every change, and what the change does against the status quo —
the gain in the decision metric, the patient collection rate and the burden on patients (contacts
and complaints per account) — each a paired difference with its 95 % confidence interval.

Every setting goes through :meth:`simlib.scenario.schema.Scenario.variant`, so a combination the
scenario file would refuse is refused here too, shown as its one-line error instead of numbers.
The run is small on purpose (``encounters_per_day`` and ``replications`` set low, one worker):
seconds, not minutes; the confidence intervals say how much that costs in certainty.
"""
from __future__ import annotations

from simlib.analysis.numbers import ci_text, diff_text
from simlib.core.metric_catalogue import METRICS
from simlib.core.language import (DEFAULT_LANGUAGE, N_, _, ngettext, scenario_speech, set_language,
                                  short_number_text, speech)
from simlib.report.markup import Markup, _html, esc, html_words
from simlib.report.pages import NOTEBOOK_DIR

#: What the explorer shows, against the status quo (the decision metric is added first).
SHOWN = ("patient_collection_rate", "contacts_per_account", "complaints_per_1000_accounts")
EXPLORED = "explored"


def lever_changes(base, *, discount_rate: float, deposit_share: float, sms_reminders: bool,
                  agents: int, plan_offer: bool, plan_months: int) -> dict:
    """The changes of :meth:`~simlib.scenario.schema.Scenario.variant` for these control values,
    over the strategy ``base`` (a :class:`~simlib.scenario.schema.Strategy`): 0 removes the discount
    and the deposit, unticking removes the text reminders or the plan offer, 0 agents the calls."""
    changes: dict = {}
    changes["prompt_pay_discount"] = ({"rate": discount_rate, "window_days": 30} if discount_rate > 0 else None)
    changes["deposit"] = ({"share": deposit_share, "compliance_rate": 0.6} if deposit_share > 0 else None)
    ladder = [s.model_dump(mode="json") for s in base.ladder]
    ladder = [s for s in ladder if s["channel"] != "sms"] + (
        [{"day": d, "channel": "sms"} for d in (7, 21, 45)] if sms_reminders else [])
    if agents > 0:
        phone = base.phone_team.model_dump(mode="json") if base.phone_team is not None else {}
        changes["phone_team"] = {**phone, "agents": int(agents)}
        if not any(s["channel"] == "call" for s in ladder):
            ladder += [{"day": d, "channel": "call", "target": {"balance_min": 200}} for d in (20, 45)]
    else:
        changes["phone_team"] = None
        ladder = [s for s in ladder if s["channel"] != "call"]
    changes["ladder"] = sorted(ladder, key=lambda s: s["day"])
    changes["payment_plan"] = {"max_months": int(plan_months), "offer_day": 30} if plan_offer else None
    return changes


def explore_table(scenario, strategy: str, changes: dict, replications: int = 4, seed: int | None = None):
    """Run the status quo and ``strategy`` changed by ``changes`` on the same patients and return
    :meth:`simlib.run.experiment.Results.compare` of the change against the status quo, for the
    decision metric and :data:`SHOWN`."""
    from simlib.analysis.decision import decision_metric
    from simlib.run.experiment import run_experiment

    changed = scenario.variant(EXPLORED, from_=strategy, **changes)
    base = scenario.baseline_strategy
    pair = changed.model_copy(update={"strategies": {base: changed.strategies[base],
                                                     EXPLORED: changed.strategies[EXPLORED]}})
    res = run_experiment(pair, replications=replications, seed=seed, workers=1, check_resources=False)
    present = set(res.metrics["metric"])
    wanted = [decision_metric(res.metrics)] + [m for m in SHOWN if m in present]
    return res.compare(EXPLORED, base, metrics=wanted)


#: the verdicts of :func:`simlib.analysis.comparisons.compare_frame`, in the language in force
VERDICT_WORDS = {"better": N_("better"), "worse": N_("worse"), "unclear": N_("unclear"), "different": N_("different")}


def table_html(frame, runs: int):
    """The comparison as a small HTML table (the block's markup, typeset-safe in JupyterLab), in the
    language in force."""
    rows = []
    for r in frame.itertuples():
        unit = METRICS[r.metric].unit
        ci = ci_text(r.diff_ci_low, r.diff_ci_high, unit, diff=True)
        verdict = _(VERDICT_WORDS[r.verdict]) if r.verdict in VERDICT_WORDS else r.verdict
        rows.append(f"<tr><th scope=\"row\">{esc(METRICS[r.metric].label)}</th><td>{esc(diff_text(r.diff, unit))}</td>"
                    f"<td>{esc(ci)}</td><td>{esc(verdict)}</td></tr>")
    head = "".join(f"<th scope=\"col\">{esc(_(h))}</th>" for h in
                   (N_("Metric"), N_("Change"), N_("95 % CI"), N_("Verdict")))
    caption = esc(ngettext("Change against the status quo, paired over {runs} run",
                           "Change against the status quo, paired over {runs} runs", runs).format(runs=runs))
    return _html(f"<div class=\"table-scroll\"><table><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
                 "<tbody>" + "".join(rows) + "</tbody></table></div>")


def intro_html(notebook=NOTEBOOK_DIR / "explore.ipynb") -> str:
    """The notebook's introduction (its first markdown cell, a message of the catalogue) as HTML in
    the language in force; "" in English, where the notebook's own cell says it."""
    import json

    import mistune

    if speech().language == DEFAULT_LANGUAGE:
        return ""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    source = next(("".join(c["source"]) if isinstance(c["source"], list) else c["source"])
                  for c in cells if c["cell_type"] == "markdown")
    return mistune.html(_(source.strip()))


def explorer(scenario_file: str, strategy: str | None = None, replications: int = 4,
             encounters_per_day: float = 8, seed: int | None = None, language: str = ""):
    """The widget: controls for the levers of ``strategy`` (default: the scenario's last strategy
    combining levers, else its first alternative), a results area updated in place on every change.
    Returns the box; ``box.controls`` (name → widget), ``box.update()`` and ``box.state`` (the last
    comparison frame, or the error) are there for scripts and tests. The words and numbers are in
    ``language`` (empty: the scenario's), made the kernel's language (:func:`set_language`); in
    French or Spanish the box opens with the notebook's introduction in that language."""
    import ipywidgets as w
    from IPython.display import display

    from simlib.core.settings import ScenarioError
    from simlib.scenario.schema import load_scenario

    sc = load_scenario(scenario_file).with_values({"simulation.encounters_per_day": encounters_per_day})
    speech = scenario_speech(sc, language or None)
    set_language(speech.language, speech.currency)
    names = [s for s in sc.strategies if s != sc.baseline_strategy]
    strategy = strategy or (names[-1] if names else sc.baseline_strategy)
    base = sc.strategies[strategy]
    style = {"description_width": "12rem"}
    controls = {
        "discount_rate": w.FloatSlider(value=base.prompt_pay_discount.rate if base.prompt_pay_discount else 0.0,
                                       min=0, max=0.3, step=0.01, description=_("Prompt-pay discount"), style=style),
        "deposit_share": w.FloatSlider(value=base.deposit.share if base.deposit else 0.0, min=0, max=1, step=0.05,
                                       description=_("Deposit (share of estimate)"), style=style),
        "sms_reminders": w.Checkbox(value=any(s.channel == "sms" for s in base.ladder), description=_("Text reminders")),
        "agents": w.IntSlider(value=base.phone_team.agents if base.phone_team else 0, min=0, max=8,
                              description=_("Phone agents"), style=style),
        "plan_offer": w.Checkbox(value=base.payment_plan is not None, description=_("Offer a payment plan")),
        "plan_months": w.IntSlider(value=base.payment_plan.max_months if base.payment_plan else 12, min=1, max=36,
                                   description=_("Plan: months at most"), style=style),
    }
    out = w.Output()
    state: dict = {}

    def update(_change=None):
        values = {k: c.value for k, c in controls.items()}
        with out:
            out.clear_output(wait=True)
            try:
                frame = explore_table(sc, strategy, lever_changes(base, **values), replications, seed)
            except ScenarioError as err:
                state.update(frame=None, error=str(err))
                display(_html(f"<p class=\"note\">{esc(err)}</p>"))
                return None
            state.update(frame=frame, error=None)
            display(table_html(frame, replications))
            return frame

    for c in controls.values():
        c.observe(update, names="value")
    head = w.HTML(html_words(ngettext(
        "{strong_start}{strategy}{strong_end} against the status quo, {runs} run of {per_day} encounters a day "
        "each time a control changes",
        "{strong_start}{strategy}{strong_end} against the status quo, {runs} runs of {per_day} encounters a day "
        "each time a control changes", replications), strong_start=Markup("<b>"), strong_end=Markup("</b>"),
        strategy=base.label or strategy, runs=replications, per_day=short_number_text(encounters_per_day)))
    intro = intro_html()  # in French or Spanish, the notebook's introduction above the controls
    box = w.VBox(([w.HTML(intro)] if intro else []) + [head, *controls.values(), out])
    box.controls, box.update, box.state = controls, update, state
    update()
    return box
