"""Reports in English, French and Spanish: the scenario's ``language`` key, numbers and money in the
locale (Babel), the message catalogue complete and consistent, and English left exactly as it was.

Expected strings are written out by hand from the locales' conventions (CLDR, as Babel ships it):
French groups thousands with a narrow no-break space and puts the euro sign after the number,
Chilean Spanish groups with a dot and writes the peso with ``$`` in front and no decimals.
"""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simlib.analysis import numbers
from simlib.core import language
from simlib.core.language import _, speaking
from simlib.report import catalogue
from simlib.report.page import html_page

ROOT = Path(__file__).resolve().parent.parent
NNBSP, NBSP = "\u202f", "\u00a0"


def scenario_file(tmp_path: Path, **keys) -> Path:
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data.update(keys)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the scenario key
@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_language_key_is_read(tmp_path, lang):
    from simlib.scenario.schema import load_scenario

    assert load_scenario(scenario_file(tmp_path, language=lang)).language == lang


def test_language_defaults_to_english():
    from simlib.scenario.schema import load_scenario

    assert load_scenario(ROOT / "parameters" / "baseline.yaml").language == "en"


def test_unknown_language_is_one_line_and_exit_code_2(tmp_path):
    path = scenario_file(tmp_path, language="de")
    proc = subprocess.run([sys.executable, "-m", "simlib", "validate", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if "language" in ln]
    assert lines == [f"{path}: language: expected 'en', 'fr' or 'es'; found 'de'"], proc.stderr
    assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- numbers and money
def test_us_english_numbers_are_unchanged():
    """The default (no language in force) and an explicit en/USD write what the reports always wrote."""
    for scope in (speaking(), speaking("en", "USD")):
        with scope:
            assert numbers.value_text(1_020_000, "usd") == "$1.02M"
            assert numbers.value_text(-850_000, "usd") == "\N{MINUS SIGN}$850k"
            assert numbers.value_text(1_234_567, "usd", exact=True) == "$1,234,567"
            assert numbers.value_text(0.902, "share") == "90.2 %"
            assert numbers.diff_text(0.026, "share") == "+2.6 pp"
            assert numbers.value_text(54.6, "days") == "54.6 days"
            assert numbers.ci_text(982_000, 1_060_000, "usd") == "95 % CI $982k to $1.06M"
            assert numbers.value_text(math.nan, "usd") == "n/a"


def test_french_numbers_and_euros():
    with speaking("fr", "EUR"):
        assert numbers.value_text(1_020_000, "usd") == f"1,02{NBSP}M{NBSP}€"
        assert numbers.value_text(1_234_567, "usd", exact=True) == f"1{NNBSP}234{NNBSP}567{NBSP}€"
        assert numbers.value_text(0.902, "share") == f"90,2{NBSP}%"
        assert numbers.diff_text(0.026, "share") == f"+2,6{NBSP}pts"
        assert numbers.value_text(54.6, "days") == f"54,6{NBSP}jours"
        assert numbers.value_text(1234.5, "count") == f"1{NNBSP}234"
        assert numbers.ci_text(0.024, 0.027, "share", diff=True) == f"IC à 95 % +2,4 à +2,7{NBSP}pts"
        assert numbers.value_text(math.nan, "usd") == "n.d."
        assert language.money_text(25_000) == f"25{NNBSP}000{NBSP}€"


def test_chilean_pesos_and_us_dollars_in_spanish():
    with speaking("es", "CLP"):
        assert numbers.value_text(1_234_567, "usd", exact=True) == "$1.234.567"
        assert numbers.value_text(1_020_000, "usd") == f"$1,02{NBSP}M"
        assert numbers.value_text(0.5, "share") == f"50,0{NBSP}%"
        assert numbers.diff_text(-0.004, "share") == f"\N{MINUS SIGN}0,4{NBSP}p. p."
    with speaking("es", "USD"):
        assert numbers.value_text(1234.56, "usd") == "US$1,23" + NBSP + "k"


def test_money_in_words_follows_the_currency():
    with speaking("fr", "EUR"):
        assert language.currency_name() == "euros"
    with speaking("es", "CLP"):
        assert language.currency_name() == "pesos chilenos"
    with speaking():
        assert language.currency_name() == "US dollars"


def test_verdicts_do_not_depend_on_the_language():
    """A verdict is judged on the US rendering: the same words (keys) in every language, shown translated."""
    cases = [(0.0004, -0.001, 0.002, "share"), (30_000, 10_000, 50_000, "usd"), (24_000, 1_000, 40_000, "usd"),
             (-0.00001, -0.01, 0.01, "share"), (5.0, -1.0, 11.0, "days")]
    with speaking():
        english = [numbers.verdict(m, lo, hi, u, True) for m, lo, hi, u in cases]
    for lang, cur in (("fr", "EUR"), ("es", "CLP")):
        with speaking(lang, cur):
            assert [numbers.verdict(m, lo, hi, u, True) for m, lo, hi, u in cases] == english
    assert english == ["no clear difference", "better", "better", "no difference", "no clear difference"]
    from simlib.scenario.materiality import Decision

    decision = Decision(materiality=25_000, materiality_pp=0.5)
    for lang, cur in (("en", "USD"), ("fr", "EUR"), ("es", "CLP")):
        with speaking(lang, cur):  # $24,000 prints below the $25,000 threshold, $30,000 above it
            assert numbers.verdict(24_000, 1_000, 40_000, "usd", True, decision) == "no material difference"
            assert numbers.verdict(30_000, 10_000, 50_000, "usd", True, decision) == "better"
    with speaking("fr"):
        assert numbers.verdict_words("no clear difference") == "pas de différence nette"
    with speaking("es"):
        assert numbers.verdict_words("better") == "mejor"


def test_unknown_language_or_currency_is_refused():
    with pytest.raises(ValueError, match="language: expected one of en, fr, es; found 'de'"):
        with speaking("de"):
            pass
    with pytest.raises(ValueError, match="currency: expected an ISO 4217 code"):
        with speaking("fr", "EURO"):
            pass


def test_speaking_is_scoped_and_set_language_is_the_process_default():
    with speaking("fr"):
        assert _("Executive summary") == "Synthèse"
        with speaking("es"):
            assert _("Executive summary") == "Resumen ejecutivo"
        assert _("Executive summary") == "Synthèse"
    assert _("Executive summary") == "Executive summary"
    try:
        language.set_language("es", "CLP")
        assert _("Glossary") == "Glosario" and language.speech().currency == "CLP"
    finally:
        language.set_language()
    assert _("Glossary") == "Glossary"


# --------------------------------------------------------------------------- the catalogue
def test_every_message_has_a_french_and_a_spanish_translation():
    """Extraction is checked here (and in CI): a new or changed message without a reviewed
    translation, a translation whose {placeholders} differ, or one the code no longer has fails."""
    assert catalogue.untranslated() == {}


def test_extraction_finds_messages_in_fstrings_and_notebooks():
    ids = {m.id for m in catalogue.extract() if m.id}
    assert "Glossary" in ids  # f"<h2>{esc(_('Glossary'))}</h2>"
    assert any(isinstance(i, str) and i.startswith("## Key performance indicators") for i in ids)
    assert "n/a" in ids and "NPV of net collections" in ids  # N_ constants


def test_metric_labels_and_lever_words_are_translated_where_shown():
    from simlib.core.metric_catalogue import METRICS
    from simlib.levers import registered_levers

    with speaking("fr"):
        assert METRICS["days_in_ar"].label == "Délai de recouvrement (jours)"
        assert _(registered_levers()["deposit"].title) == "Acompte lors des soins"
    with speaking("es"):
        assert METRICS["cash_collected"].label == "Caja recaudada"
    assert METRICS["days_in_ar"].label == "Days in A/R"


# --------------------------------------------------------------------------- the page shell
@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_page_declares_its_language(lang):
    with speaking(lang):
        page = html_page("T", "<p>x</p>")
    assert f'<html lang="{lang}">' in page
    if lang == "fr":
        assert '"Page " counter(page) " sur " counter(pages)' in page and "simulation, pas une prévision" in page
    if lang == "en":
        assert '"Page " counter(page) " of " counter(pages)' in page


def test_shipped_page_notebooks_take_the_language():
    from simlib.report.notebooks import notebook_parameters

    for name in catalogue.PAGE_NOTEBOOKS:
        assert notebook_parameters(ROOT / "notebooks" / name)["language"] == ""


def test_no_function_both_binds_and_calls_the_translation_function():
    """``_`` as a throwaway name (``body, _ = …``) in a function that also calls ``_("…")`` would
    make the call fail at run time; the catalogue's modules keep the two apart."""
    import ast

    bad = []
    for path in sorted((ROOT / "simlib").rglob("*.py")):
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            binds = any(a.arg == "_" for a in fn.args.args + fn.args.kwonlyargs) or any(
                isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store) for n in ast.walk(fn))
            calls = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_"
                        for n in ast.walk(fn))
            if binds and calls:
                bad.append(f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name}")
    assert bad == []


def test_words_saved_with_the_results_are_said_again_in_the_page_language():
    """A flip point's words are saved in English with the results (the same folder serves every
    language); the page says them again in its own, and keeps a search's note as saved."""
    from simlib.report.sensitivity_blocks import _words
    from simlib.studies.flip_points import flip_words

    row = {"label": "Cost of capital (annual)", "flip_below": 0.05, "flip_above": None, "unit": "share",
           "mode": "set", "tolerance": 0.001, "scenario_value": 0.08, "base_setting": 0.08, "low": 0.02,
           "high": 0.15, "gain_base": 1.0, "gain_low": -1.0, "gain_high": 2.0}
    with speaking():
        row["words"] = flip_words(row)
    assert row["words"] == "stays best unless cost of capital (annual) is below 5.0 %"
    with speaking("fr"):
        assert _words(row) == "reste en tête sauf si la valeur de coût du capital (annuel) est sous 5,0 %"
    with speaking("es"):
        assert _words(row) == "sigue primera salvo que el valor de costo de capital (anual) esté bajo 5,0 %"
        note = dict(row, words="no flip found in range: the runs disagree there")
        assert _words(note) == note["words"]
