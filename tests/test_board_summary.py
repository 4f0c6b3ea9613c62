"""The board summary (the board pack's first page) and the pack's combined page.

The summary's numbers are checked against the run's metrics table recomputed here by hand
(paired differences run by run, a Student-t 95 % interval with scipy), its verdicts against the
decision (one sentence per verdict, forced with ``dataclasses.replace``). One seeded tiny run
(3 encounters a day, 3 replications, seed 11): ~6 s. The printed page (one A4 sheet) and the
combined PDF are read back in tests/test_browser.py (``-m browser``).
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from simlib import report
from simlib.analysis.numbers import ci_text, diff_text, value_text
from simlib.core.metric_catalogue import METRICS
from simlib.report.board_pack import pack_html, scoped
from simlib.report.board_summary import answer_sentence, board_bullets, chosen_strategy
from simlib.report.board_words import BOARD_WORDS, board_text
from simlib.report.labels import strategy_labels

from test_report import NASTY_NAME, tiny_yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def res(tmp_path_factory):
    param = tiny_yaml(tmp_path_factory.mktemp("board") / "tiny.yaml")
    return report.load_results(str(param), "", replications=3, seed=11, page="board_summary")


def _with_decision(res, **changes):
    """The same results seen with a decision of other verdicts (the view the report's tables use)."""
    from simlib.report.results import _Subset

    view = _Subset(res, list(res.metrics["strategy"].unique()))
    view.decision = dataclasses.replace(res.decision, **changes)
    return view


def _paired(res, strategy: str, metric: str) -> tuple[float, float, float]:
    """Mean paired difference strategy − status quo and its Student-t 95 % CI, by hand."""
    rows = res.metrics[res.metrics["metric"] == metric].pivot(index="replication", columns="strategy",
                                                              values="value")
    d = (rows[strategy] - rows[res.baseline]).to_numpy(float)
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def test_the_answer_is_the_decision_with_its_numbers_recomputed_by_hand(res):
    rec = res.decision
    labels = strategy_labels(res)
    sentence = answer_sentence(res)
    assert sentence.count(". ") == 0 and sentence.endswith(".")  # one sentence
    if rec.keeps_status_quo:
        assert sentence.startswith(f"Keep the status quo, “{labels[rec.baseline]}”")
        return
    gain, low, high = _paired(res, rec.strategy, rec.metric)
    assert diff_text(gain, rec.unit) in sentence
    assert ci_text(low, high, rec.unit, diff=True) in sentence
    assert f"“{labels[rec.strategy]}”" in sentence and f"“{labels[rec.baseline]}”" in sentence
    word = "Keep the status quo" if rec.gain_verdict in ("no difference", "no material difference") else "Adopt"
    assert sentence.startswith(word)


@pytest.mark.parametrize("changes, start, words", [
    ({"strategy": "sms_reminders", "gain_verdict": "better", "runner_up": "letters_only",
      "margin_verdict": "better"}, "Adopt “Text-message reminders”:", ["compared with the status quo"]),
    ({"strategy": "sms_reminders", "gain_verdict": "no clear difference", "runner_up": "letters_only",
      "margin_verdict": "better"}, "Adopt “Text-message reminders”:", ["not yet distinguishable from chance"]),
    ({"strategy": "sms_reminders", "gain_verdict": "better", "runner_up": "prompt_pay_discount",
      "margin_verdict": "no material difference"}, "Adopt “Text-message reminders” or “Prompt-pay discount”",
     ["not materially different"]),
    ({"strategy": "sms_reminders", "gain_verdict": "no material difference"},
     "Keep the status quo, “Status quo: letters”, unless other grounds decide", ["$25,000 materiality"]),
    ({"strategy": "letters_only", "runner_up": "sms_reminders", "margin_verdict": "better"},
     "Keep the status quo, “Status quo: letters”: no alternative", []),
    ({"strategy": "sms_reminders", "gain_verdict": "better", "runner_up": "letters_only", "feasible": False},
     "Adopt “Text-message reminders”:", ["Every strategy runs short of cash beyond the credit line in more than 5 %"]),
])
def test_every_verdict_has_its_one_sentence(res, changes, start, words):
    view = _with_decision(res, baseline="letters_only", **changes)
    sentence = answer_sentence(view)
    assert sentence.startswith(start), sentence
    # the same conclusion as the index headline and the comparison's executive summary
    def opening(text):
        return text.split(":")[0].split(",")[0]
    assert opening(report.recommendation_sentence(view)) == opening(sentence)
    for w in words:
        assert w in sentence, (w, sentence)


def test_three_bullets_gain_how_sure_and_what_it_asks(res):
    rec = res.decision
    chosen = chosen_strategy(res)
    assert chosen == (rec.runner_up if rec.keeps_status_quo else rec.strategy)
    bullets = board_bullets(res)
    assert [lead for lead, _ in bullets] == [f"What “{strategy_labels(res)[chosen]}” gains", "How sure",
                                             "What it asks of patients and staff"]
    gains, sure, asks = (text for _, text in bullets)
    assert f"best of {rec.strategies} strategies in {rec.probability_best * 100:.0f} % of 3 simulated runs" in sure
    means = res.metrics.groupby(["strategy", "metric"])["value"].mean()  # by hand
    for metric, text in (("contacts_per_account", asks), ("net_collection_rate", gains)):
        unit = METRICS[metric].unit
        before, after = value_text(means[(res.baseline, metric)], unit), value_text(means[(chosen, metric)], unit)
        assert f"{before} → {after}" in text, (metric, text)
    team = res.scenario.strategies[chosen].phone_team
    assert ("phone team" in asks) if team is not None else ("no phone team" in asks or "→ none" in asks)


def test_the_agents_of_the_phone_team_are_the_strategys(res):
    """Forced onto the strategy with a phone team in the baseline file: its agents are named."""
    caller = next(k for k, s in res.scenario.strategies.items() if s.phone_team is not None)
    forced = _with_decision(res, strategy=caller, gain_verdict="better")
    asks = board_bullets(forced)[2][1]
    agents = res.scenario.strategies[caller].phone_team.agents
    assert f"phone team none → {agents} agent" in asks, asks


def test_the_page_block_holds_the_answer_the_chart_and_three_bullets(res):
    html = report.board_summary(res).data
    assert "mathjax_ignore" in html  # JupyterLab reads no "$…$" as a formula
    assert html.count("<img") == 1 and re.search(r'alt="Dot plot of the paired difference', html)
    assert len(re.findall(r"<li>", html)) == 3
    assert report.esc(answer_sentence(res)) in html
    assert report.esc(f"Board summary: {NASTY_NAME}") in html and "<b>bold</b>" not in html
    assert "simulation, not a forecast" in html.lower() and "Money in US dollars." in html


def test_every_board_sentence_is_a_template_in_one_place():
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "simlib" / "report").glob("*.py")
                        if p.name != "board_words.py")
    unused = [k for k in BOARD_WORDS if f'"{k}"' not in sources and f"'{k}'" not in sources]
    assert unused == []
    with pytest.raises(KeyError):
        board_text("no_such_sentence")
    with pytest.raises(KeyError):
        board_text("heading")  # a blank left unfilled is an error, not an empty string


def test_pack_parts_keep_their_own_contents_links():
    body = '<nav class="toc"><a href="#glossary">Glossary</a></nav><h2 id="glossary">Glossary</h2>'
    page = pack_html("Board pack — X", [("board_summary", "<h1>Summary</h1>"), ("strategy_comparison", body),
                                         ("sensitivity", body)])
    assert page.count('class="pack-part"') == 3
    for key in ("strategy_comparison", "sensitivity"):
        assert f'href="#{key}--glossary"' in page and f'id="{key}--glossary"' in page
    assert 'id="glossary"' not in page and report.external_loads(page) == []
    assert scoped("<p id='a'>", "k") == "<p id='k--a'>"
    with pytest.raises(ValueError):
        pack_html("empty", [])


def test_the_index_links_the_board_pack_first():
    manifest = {"directory": "st_mary", "scenario_name": "St Mary", "board_pack": "board_pack.pdf",
                "reports": [{"file": "board_summary.html", "title": "Board summary", "pdf": "board_summary.pdf"}]}
    page = report.index_html([manifest])
    assert page.index('href="st_mary/board_pack.pdf"') < page.index('href="st_mary/board_summary.html"')
    assert "Board pack (PDF)" in page
    assert "board_pack.pdf" not in report.index_html([{**manifest, "board_pack": None}])
