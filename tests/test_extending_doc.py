"""docs/extending.md, executed: a new lever in one file, used from a scenario file.

The test writes the doc's blocks marked ``<!-- file: NAME -->`` into an empty folder and runs the
doc's script there in a fresh interpreter (so the new lever does not stay registered in this
one). It checks the lever's effect on the ledger and the metrics, that it reaches no patient who
opted out of its channel, its words through the registry, a typo's error, the doc's printed
output, and that the lever took exactly one file while no file of the simlib package changed.
Other tests install the same file as an entry point, show its words on the board (strategy table,
contributions title, glossary, limitations) and build it into a copy of simlib as a built-in lever
— one file plus the doc's one registry line — that the board shows in the same words.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "extending.md"
BLOCK = re.compile(r"<!-- file: (?P<name>[\w.]+) -->\s*```\w*\n(?P<code>.*?)```", re.S)
OUTPUT = re.compile(r"```text\n(?P<text>.*?)```", re.S)

CHECKS = r"""
import json, runpy
from simlib.model.engine import World
from simlib.core.ledger import Kind
from simlib.scenario.schema import ScenarioError, load_scenario, scenario_from_dict
from simlib.model.population import draw_population

ns = runpy.run_path("compare.py")          # the doc's script: registers the lever, runs, prints
res = ns["res"]
rates = res.metrics[res.metrics.metric == "patient_collection_rate"].pivot(
    index="replication", columns="strategy", values="value")

sc = load_scenario("text_to_pay.yaml")
pop = draw_population(sc, 0)
base, link = World(sc, "letters_only", pop).run(), World(sc, "text_to_pay", pop).run()
paid = lambda r, d: int(r.ledger.total([Kind.PAYMENT_PATIENT], until_day=d))
data = sc.model_dump(mode="json")
data["strategies"]["text_to_pay"]["text_to_pay"] = {"dya": 3}
try:
    scenario_from_dict(data, "typo.yaml")
    typo = ""
except ScenarioError as exc:
    typo = str(exc)
# the link to one patient, opted out of SMS or not, on the day it is due (a world of its own)
from simlib.world.account import PatientAccount
opt = World(sc, "text_to_pay", pop)
lever, sms = opt.levers["text_to_pay"], opt.channels["sms"]
i = next(k for k in range(pop.n) if opt.patient_cents[k] > 0
         and pop.reach_u[k, sms.index] < sc.channels["sms"].reach)      # a patient the SMS reaches


def send_link(opted_out):
    acct = PatientAccount(opt, i, opt.patient_cents[i])
    acct.now = acct.t0 = opt.statement_day[i] + 3.0
    acct.lam = acct.initial_lam
    if opted_out:
        acct.opted_out_of |= 1 << sms.index
    counters, rows, lam = dict(opt.counters), len(opt.ledger.amount), acct.lam
    lever.send(acct, None)
    return {"counters": {k: v - counters.get(k, 0) for k, v in opt.counters.items() if v != counters.get(k, 0)},
            "rows": len(opt.ledger.amount) - rows, "jump": acct.lam - lam}


opted_out, reachable = send_link(True), send_link(False)
print("CHECKS " + json.dumps({"opted_out": opted_out, "reachable": reachable,
    "rates_base": rates["letters_only"].tolist(), "rates_link": rates["text_to_pay"].tolist(),
    "paid_30_base": paid(base, 30), "paid_30_link": paid(link, 30),
    "paid_90_base": paid(base, 90), "paid_90_link": paid(link, 90),
    "sent": link.counters["text_to_pay_sent"], "read": link.counters["text_to_pay_read"],
    "contact_cost": int(link.ledger.total([Kind.COST_CONTACT])), "letters": link.counters["contacts_letter"],
    "letter_cents": round(sc.channels["letter"].cost * 100),
    "sms_cents": round(sc.channels["sms"].cost * 100), "typo": typo}))
"""


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def _write_doc_files(folder: Path) -> list[Path]:
    written = []
    for m in BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        path = folder / m["name"]
        path.write_text(m["code"], encoding="utf-8")
        written.append(path)
    return written


def _run(code_or_file: list[str], cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(pythonpath), MPLBACKEND="Agg")
    return subprocess.run([sys.executable, *code_or_file], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_a_new_lever_is_one_file_used_from_yaml_and_described_by_the_registry(tmp_path):
    package_before = _snapshot(ROOT / "simlib")
    written = _write_doc_files(tmp_path)
    assert {p.name for p in written} == {"text_to_pay.py", "text_to_pay.yaml", "compare.py"}
    lever_files = [p for p in written if p.suffix == ".py" and p.name != "compare.py"]
    assert [p.name for p in lever_files] == ["text_to_pay.py"]      # the lever: one file

    (tmp_path / "checks.py").write_text(CHECKS, encoding="utf-8")
    out = _run(["checks.py"], tmp_path, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    checks = json.loads(out.stdout.split("CHECKS ", 1)[1])

    # the doc's printed lines are what the script prints
    expected = OUTPUT.search(DOC.read_text(encoding="utf-8"))["text"].strip().splitlines()
    for line in expected:
        assert line in out.stdout.splitlines(), f"docs/extending.md shows {line!r}; the script printed:\n{out.stdout}"

    # the lever does what it says: a message per account, at the channel's price, read by some
    assert checks["sent"] > 0 and 0 < checks["read"] < checks["sent"]
    assert checks["contact_cost"] == checks["letters"] * checks["letter_cents"] + checks["sent"] * checks["sms_cents"]
    # ... and patients who read it pay sooner: more cash by day 30 and 90, a higher collection rate
    assert checks["paid_30_link"] > checks["paid_30_base"]
    assert checks["paid_90_link"] > checks["paid_90_base"]
    assert all(b < a for a, b in zip(checks["rates_link"], checks["rates_base"]))
    # a patient who opted out of SMS gets no link: nothing sent, no cost, no payment effect; the
    # same patient not opted out is sent one, pays its cost and reads it
    assert checks["opted_out"] == {"counters": {"opted_out_contacts": 1}, "rows": 0, "jump": 0.0}
    assert checks["reachable"]["counters"] == {"contacts": 1, "contacts_sms": 1, "text_to_pay_sent": 1,
                                               "reached_sms": 1, "text_to_pay_read": 1}
    assert checks["reachable"]["rows"] == 1 and checks["reachable"]["jump"] > 0
    # a typo in the new section is refused with its path
    assert "typo.yaml: strategies.text_to_pay.text_to_pay.dya: unknown field (typo?)" in checks["typo"]

    # no file of simlib changed
    assert _snapshot(ROOT / "simlib") == package_before


def test_an_installed_lever_is_found_through_its_entry_point(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    [lever] = [p for p in _write_doc_files(tmp_path) if p.name == "text_to_pay.py"]
    (site / "text_to_pay.py").write_text(lever.read_text(encoding="utf-8"), encoding="utf-8")
    dist = site / "text_to_pay-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: text-to-pay\nVersion: 0.1\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[simlib.levers]\ntext_to_pay = text_to_pay\n", encoding="utf-8")
    code = ("from simlib.levers import registered_levers\n"
            "levers = registered_levers()\n"
            "print(list(levers)[-1], levers['text_to_pay'].describe(levers['text_to_pay'].validate({'day': 5})))")
    out = _run(["-c", code], tmp_path, site)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "text_to_pay text-to-pay link by sms on day 5"


BOARD = r"""
import json
import simlib
from simlib.levers import registered_levers
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.report.glossary import glossary
from simlib.report.limitations import limitations_section
from simlib.report.tables import strategies_table
from simlib.studies.contributions import lever_groups

res = simlib.run_experiment("text_to_pay.yaml", replications=2, seed=1, workers=1)
lever = registered_levers()["text_to_pay"]
counters = World(res.scenario, "text_to_pay", draw_population(res.scenario, 0)).run().counters
print("BOARD " + json.dumps({
    "order": list(registered_levers()), "module": lever.__module__,
    "table": str(strategies_table(res).data), "glossary": glossary(res).data,
    "limitations": limitations_section(res).data,
    "groups": [[g.key, g.label, g.changes] for g in lever_groups(res.scenario, "text_to_pay", "letters_only")],
    "counters": {k: counters[k] for k in lever.counters}}))
"""


def _board_words(out: subprocess.CompletedProcess) -> dict:
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.split("BOARD ", 1)[1])


def _check_board(board: dict) -> None:
    """The lever's own words are on the board: strategy table, contributions title, glossary,
    limitations; its counters are counted."""
    assert "text-to-pay link by sms on day 3" in board["table"]
    assert board["groups"] == [["text_to_pay", "Text-to-pay link", "text-to-pay link by sms on day 3"]]
    assert "<dt>Text-to-pay link</dt><dd>A text message with a link" in board["glossary"]
    assert "<strong>Text-to-pay links</strong> (“Text to pay”): A link in a text needs" in board["limitations"]
    assert board["counters"]["text_to_pay_sent"] > board["counters"]["text_to_pay_read"] > 0


def test_the_new_lever_appears_on_the_board_in_its_own_words(tmp_path):
    """The board shows the plug-in lever in its own words (describe, title, glossary, risk), with no
    report code."""
    written = _write_doc_files(tmp_path)
    assert any(p.name == "text_to_pay.yaml" for p in written)
    (tmp_path / "board.py").write_text("import text_to_pay  # noqa: F401\n" + BOARD, encoding="utf-8")
    board = _board_words(_run(["board.py"], tmp_path, tmp_path))
    _check_board(board)
    assert board["module"] == "text_to_pay" and board["order"][-1] == "text_to_pay"


BUILTIN_LINE = re.compile(r"<!-- built-in line: (?P<name>[\w./]+) -->\s*```\w*\n(?P<code>.*?)```", re.S)


def test_the_same_lever_built_in_is_one_file_plus_one_registry_line(tmp_path):
    """docs/extending.md's "Inside simlib", executed: a copy of simlib with the plug-in's file saved
    as simlib/levers/text_to_pay.py and the doc's one import line in simlib/levers/__init__.py — two
    files touched, nothing else — runs the scenario and shows the lever on the board exactly as the
    plug-in does, registered among the built-in levers."""
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "simlib", tree / "simlib", ignore=shutil.ignore_patterns("__pycache__"))
    (tree / "parameters").symlink_to(ROOT / "parameters")
    before = _snapshot(tree / "simlib")
    [lever] = [p for p in _write_doc_files(tmp_path) if p.name == "text_to_pay.py"]
    shutil.copy(lever, tree / "simlib" / "levers" / "text_to_pay.py")
    [m] = BUILTIN_LINE.finditer(DOC.read_text(encoding="utf-8"))
    line = m["code"].strip()
    registry = tree / m["name"]
    lines = registry.read_text(encoding="utf-8").splitlines(keepends=True)
    last = max(k for k, text in enumerate(lines) if text.startswith("from simlib.levers import "))
    registry.write_text("".join(lines[:last + 1] + [line + "\n"] + lines[last + 1:]), encoding="utf-8")
    after = _snapshot(tree / "simlib")
    assert set(after) - set(before) == {"levers/text_to_pay.py"}
    assert {k for k in before if after[k] != before[k]} == {"levers/__init__.py"}

    (tmp_path / "board.py").write_text(BOARD, encoding="utf-8")   # no import of the lever: it is built in
    board = _board_words(_run(["board.py"], tmp_path, tree))
    _check_board(board)
    assert board["module"] == "simlib.levers.text_to_pay"
    # registered by the registry's import lines, right after the last built-in lever of simlib.levers
    # (the policy levers of simlib.policies register when the scenario layer imports them)
    order = board["order"]
    assert order[order.index("factoring") + 1] == "text_to_pay"
