"""Keeping the message catalogue with Babel: extract every board-facing message of the package
(``_()``, ``N_()``, ``ngettext()`` in the code, and the markdown cells of the report notebooks that
reach the board), merge them into each language's ``.po`` file, and check that every message has
a reviewed translation.

``python -m simlib.report.catalogue update`` after changing a message (then translate the new or
changed entries, marked fuzzy or empty, in ``simlib/report/locales/*/LC_MESSAGES/simlib.po``);
``python -m simlib.report.catalogue check`` (and the test suite) lists what is untranslated.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from simlib.core.language import DEFAULT_LANGUAGE, DOMAIN, LANGUAGES, po_file

PACKAGE_DIR = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = PACKAGE_DIR.parent / "notebooks"
#: The notebooks of the board's pages (their markdown cells are messages; a cell tagged
#: ``jupyterlab-only`` never reaches the board and is not).
PAGE_NOTEBOOKS = ("board_summary.ipynb", "strategy_comparison.ipynb", "factoring_offers.ipynb", "sensitivity.ipynb")
JUPYTERLAB_ONLY = "jupyterlab-only"
#: Notebooks whose introduction (first markdown cell) a reader sees in the page's language
#: (:func:`simlib.report.explore.intro_html`).
INTRO_NOTEBOOKS = ("explore.ipynb",)


def markdown_message(source: str) -> str:
    """The message of a markdown cell: its text without surrounding blank space."""
    return source.strip()


def extract_markdown(fileobj, keywords, comment_tags, options):
    """A Babel extraction method for notebooks: each board-facing markdown cell is one message."""
    nb = json.loads(fileobj.read().decode("utf-8"))
    line = 0
    for cell in nb.get("cells", []):
        line += 1
        if cell.get("cell_type") != "markdown" or JUPYTERLAB_ONLY in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell.get("source", "")
        text = markdown_message("".join(source) if isinstance(source, list) else source)
        if text:
            yield line, None, text, []


def extract_python(fileobj, keywords, comment_tags, options):
    """A Babel extraction method for Python that reads the syntax tree, so a message inside an
    f-string's expression (``f"<h2>{esc(_('Glossary'))}</h2>"``) is found too: every call of a
    keyword function whose arguments are string literals."""
    import ast

    tree = ast.parse(fileobj.read().decode("utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in keywords:
            continue
        strings = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args]
        if not strings or strings[0] is None:
            continue
        found.append((node.lineno, node.col_offset, name, strings[0] if len(strings) == 1 else tuple(strings)))
    for lineno, _column, name, messages in sorted(found, key=lambda f: f[:2]):
        yield lineno, name, messages, []


def extract_yaml_words(fileobj, keywords, comment_tags, options):
    """A Babel extraction method for the package's data files of board words (the plausibility
    envelope): the values of ``words`` and ``*_source`` keys."""
    import yaml

    data = yaml.safe_load(fileobj.read().decode("utf-8")) or {}
    for entry in data.values():
        if isinstance(entry, dict):
            for key in ("words", "low_source", "high_source"):
                if isinstance(entry.get(key), str):
                    yield 1, None, entry[key], []


def extract_register_words(fileobj, keywords, comment_tags, options):
    """A Babel extraction method for the register of assumptions held fixed
    (``simlib/scenario/assumption_register.yaml``): each entry's ``label`` and ``why``."""
    import yaml

    for entry in yaml.safe_load(fileobj.read().decode("utf-8")) or []:
        for key in ("label", "why"):
            if isinstance(entry, dict) and isinstance(entry.get(key), str) and entry[key].strip():
                yield 1, None, entry[key], []


def extract_jurisdiction_words(fileobj, keywords, comment_tags, options):
    """A Babel extraction method for the jurisdictions' data files: the board's words of their
    laws (``board.risks``: topic and text; ``board.glossary``: term and text)."""
    import yaml

    board = (yaml.safe_load(fileobj.read().decode("utf-8")) or {}).get("board") or {}
    for section, keys in (("risks", ("topic", "text")), ("glossary", ("term", "text"))):
        for entry in board.get(section) or []:
            for key in keys:
                if isinstance(entry, dict) and isinstance(entry.get(key), str) and entry[key].strip():
                    yield 1, None, entry[key], []


def extract():
    """Every message of the package and of the page notebooks, as a Babel catalogue."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file

    catalog = Catalog(domain=DOMAIN, project="simlib", charset="utf-8")
    keywords = dict(DEFAULT_KEYWORDS)
    keywords = {k: v for k, v in keywords.items() if k in ("_", "N_", "ngettext")}
    files = [(p, extract_python) for p in sorted(PACKAGE_DIR.rglob("*.py"))]
    files += [(NOTEBOOK_DIR / n, extract_markdown) for n in PAGE_NOTEBOOKS + INTRO_NOTEBOOKS]
    files += [(PACKAGE_DIR / "analysis" / "plausibility.yaml", extract_yaml_words)]
    files += [(PACKAGE_DIR / "scenario" / "assumption_register.yaml", extract_register_words)]
    files += [(p, extract_jurisdiction_words) for p in sorted((PACKAGE_DIR / "scenario" / "jurisdictions").glob("*.yaml"))]
    for path, method in files:
        for lineno, message, comments, context in extract_from_file(method, str(path), keywords=keywords):
            where = path.relative_to(PACKAGE_DIR.parent).as_posix()
            catalog.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
    return catalog


def _read(language: str):
    from babel.messages.pofile import read_po

    path = po_file(language)
    if not path.exists():
        from babel.messages.catalog import Catalog

        return Catalog(locale=language, domain=DOMAIN, project="simlib")
    with open(path, "rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def update() -> None:
    """Merge the extracted messages into every language's ``.po`` (new ones empty, changed ones
    fuzzy, gone ones dropped)."""
    from babel.messages.pofile import write_po

    template = extract()
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        catalog = _read(language)
        catalog.update(template, no_fuzzy_matching=False)
        catalog.obsolete.clear()
        path = po_file(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, sort_output=False, include_previous=False)


def untranslated() -> dict[str, list[str]]:
    """Per language, the extracted messages without a reviewed (non-empty, not fuzzy) translation,
    and the translations of messages the code no longer has."""
    template = extract()
    wanted = {m.id for m in template if m.id}
    # a notebook's markdown may name the scenario's currency ({currency}: simlib.report.export)
    extra = {m.id: {"currency"} if any(f.endswith(".ipynb") for f, _ in m.locations) else set()
             for m in template if m.id}
    out: dict[str, list[str]] = {}
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        catalog = _read(language)
        done = {m.id for m in catalog if m.id and m.string and not m.fuzzy and
                (all(m.string) if isinstance(m.string, (list, tuple)) else True)}
        have = {m.id for m in catalog if m.id}
        missing = [f"untranslated: {_first(i)}" for i in sorted(wanted - done, key=_first)]
        missing += [f"placeholders {sorted(_names(s))} differ from the message's {sorted(_names(_first(m.id)))}: "
                    f"{_first(m.id)}" for m in catalog if m.id in wanted and m.id in done
                    for s in (m.string if isinstance(m.string, (list, tuple)) else [m.string])
                    if _names(s) - extra[m.id] != _names(_first(m.id))]
        stale = [f"no longer in the code: {_first(i)}" for i in sorted(have - wanted, key=_first)]
        if missing or stale:
            out[language] = missing + stale
    return out


def _names(text: str) -> set[str]:
    """The ``{names}`` a message fills in (its translation must fill the same)."""
    import string

    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _first(message) -> str:
    return message[0] if isinstance(message, (list, tuple)) else message


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["update"]:
        update()
        return 0
    if args == ["check"]:
        problems = untranslated()
        for language, lines in problems.items():
            for line in lines:
                print(f"{po_file(language)}: {line}")
        return 1 if problems else 0
    print("usage: python -m simlib.report.catalogue update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
