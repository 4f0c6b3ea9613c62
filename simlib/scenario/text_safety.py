"""Visible text only: invisible and direction-changing characters are refused in a scenario's
keys and texts (issue 21).

Why: labels, keys and descriptions are shown on the board pages and written into CSVs. A
right-to-left override (U+202E) makes ``exe.txt`` read as ``txt.exe``; a zero-width space makes two
strategies that look the same differ, or a key that looks like ``baseline`` be another one. The
rule refuses every character of the Unicode categories *Cf* (format: zero-width characters,
bidirectional embeddings, overrides and isolates, the byte-order mark), *Cc* (control characters;
a line break or tab inside a text value is allowed), *Zl*/*Zp* (line and paragraph separators),
*Co* (private use) and *Cs* (surrogates), naming the field and the character.
"""
from __future__ import annotations

import unicodedata
from typing import Any

REFUSED_CATEGORIES = frozenset({"Cf", "Cc", "Zl", "Zp", "Co", "Cs"})
ALLOWED_IN_VALUES = frozenset("\n\t")


def bad_character(text: str, key: bool = False) -> str | None:
    """The first refused character of ``text`` as ``U+202E (RIGHT-TO-LEFT OVERRIDE)``, or None."""
    for ch in text:
        if unicodedata.category(ch) in REFUSED_CATEGORIES and (key or ch not in ALLOWED_IN_VALUES):
            name = unicodedata.name(ch, "a control character")
            return f"U+{ord(ch):04X} ({name})"
    return None


def text_problems(data: Any, path: str = "") -> list[str]:
    """One line per key or text value of ``data`` (a scenario's JSON dump) holding a refused
    character, named by its field path."""
    out: list[str] = []
    if isinstance(data, dict):
        for k, v in data.items():
            here = f"{path}.{k}" if path else str(k)
            if isinstance(k, str) and (bad := bad_character(k, key=True)):
                out.append(f"{here}: the key contains {bad}, an invisible or direction-changing "
                           f"character; expected visible text")
            out.extend(text_problems(v, here))
    elif isinstance(data, (list, tuple)):
        for i, v in enumerate(data):
            out.extend(text_problems(v, f"{path}[{i}]"))
    elif isinstance(data, str) and (bad := bad_character(data)):
        out.append(f"{path}: contains {bad}, an invisible or direction-changing character; "
                   f"expected visible text")
    return out
