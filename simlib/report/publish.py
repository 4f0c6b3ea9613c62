"""Atomic publication on disk and safe directory names, for the report pipeline.

The mechanisms are the package's own (one implementation for runs and reports):
:func:`simlib.core.atomic.atomic_write_text` replaces a file whole or not at all, and
:func:`simlib.core.paths.slug` turns a name into a safe directory name.
"""
from __future__ import annotations

from simlib.core.atomic import atomic_write_text
from simlib.core.paths import slug

__all__ = ["atomic_write_text", "slug"]
