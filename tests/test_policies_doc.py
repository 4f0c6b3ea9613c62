"""docs/policies.md, executed: a plug-in policy in one file, used from a scenario file.

The doc's blocks marked ``<!-- file: NAME -->`` are written into an empty folder and its script is
run there in a fresh interpreter (the plug-in must not stay registered in this one); its output
must be the doc's ``text`` block exactly (same seed, same numbers)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "policies.md"
BLOCK = re.compile(r"<!-- file: (?P<name>[\w.]+) -->\s*```\w*\n(?P<code>.*?)```", re.S)
OUTPUT = re.compile(r"```text\n(?P<text>.*?)```", re.S)


def test_the_plug_in_policy_of_the_doc_runs_and_prints_what_the_doc_says(tmp_path):
    text = DOC.read_text(encoding="utf-8")
    files = {m["name"]: m["code"] for m in BLOCK.finditer(text)}
    assert set(files) == {"retry_no_answer.py", "policies.yaml", "compare.py"}
    for name, code in files.items():
        (tmp_path / name).write_text(code, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "compare.py"], cwd=tmp_path, capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout == OUTPUT.search(text)["text"]
    lines = out.stdout.splitlines()
    # the plug-in's texts follow unanswered calls one for one (opt-outs aside) and add collections
    calls, texts = lines[1].split(), lines[2].split()
    assert texts[texts.index("texts") + 1] != "0" and calls[calls.index("texts") + 1] == "0"
    assert float(texts[-1].rstrip("%")) > float(calls[-1].rstrip("%"))
