"""Reading a scenario file safely: one clear line for anything that is not a small UTF-8 YAML text.

:func:`read_yaml` turns a path into plain Python data (dicts, lists, scalars) or raises
:class:`~simlib.scenario.schema.ScenarioError` with one problem that names what is wrong and what was
expected. It refuses, before parsing:

- a path that does not exist, cannot be opened (permission) or is not a regular file (a directory,
  a FIFO, a device);
- a file larger than :data:`MAX_FILE_BYTES`;
- bytes that are not UTF-8 text: a binary file (NUL bytes), UTF-16/UTF-32 (byte-order mark or NUL
  pattern), or a byte that does not decode (Latin-1 / Windows-1252 files), with its line and column;

and while parsing (a :class:`StrictLoader`, PyYAML's ``SafeLoader`` with three additions):

- a key repeated in one mapping, at any level, naming both lines (PyYAML keeps the later one);
- nesting deeper than :data:`MAX_DEPTH` (PyYAML would hit Python's recursion limit);
- a document that expands to more than :data:`MAX_NODES` nodes once aliases are followed (the
  "billion laughs" file), or an alias that refers to itself.
"""
from __future__ import annotations

import codecs
import errno
import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from simlib.core.settings import ScenarioError

#: Largest scenario file read, in bytes. The shipped files are 6–7 kB; 1 MiB leaves room for
#: hundreds of strategies while refusing a wrong file (a data dump, a log) at once.
MAX_FILE_BYTES = 1 << 20
#: Deepest nesting of mappings and lists. A scenario is at most 6 levels deep
#: (strategies → name → factoring → fee → tiers → item); 32 is generous.
MAX_DEPTH = 32
#: Most nodes a document may expand to once aliases are followed.
MAX_NODES = 200_000

_MERGE_TAG = "tag:yaml.org,2002:merge"


def _where(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


class _Refused(yaml.YAMLError):
    """A structural problem found while parsing; ``str`` is the whole one-line message."""


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys, deep nesting and alias expansion bombs."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    # -- nesting depth, counted while composing (PyYAML's composer is recursive)
    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Refused(f"nesting deeper than {MAX_DEPTH} levels at {_where(mark)}; "
                               f"expected at most {MAX_DEPTH} levels of mappings and lists")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    # -- expanded size (aliases counted as often as they are used) and self-referring aliases
    def compose_document(self):
        node = super().compose_document()
        _expanded_size(node)
        return node

    # -- duplicate keys, at every level
    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue  # `<<: *defaults` merges are meant to be overridden by explicit keys
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:
                    raise ConstructorError(None, None, "a mapping key must be a plain value "
                                           "(text or number), not a list or mapping",
                                           key_node.start_mark) from None
                if first is not None:
                    raise _Refused(f"duplicate key {key!r}: first at {_where(first)}, again at "
                                   f"{_where(key_node.start_mark)}; expected each key once per mapping "
                                   f"(YAML would silently keep only the last)")
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep)


def _expanded_size(root: Node) -> int:
    """Nodes in ``root`` with every alias expanded; refuses cycles and more than MAX_NODES."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _Refused(f"an alias refers to the mapping or list that contains it "
                           f"(at {_where(node.start_mark)}); expected a tree without self-references")
        active.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            for child in node.value:
                total += size(child)
        elif isinstance(node, MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
        active.discard(key)
        if total > MAX_NODES:
            raise _Refused(f"the document expands to more than {MAX_NODES:,} values once its aliases "
                           f"(*name) are followed; expected a scenario of at most {MAX_NODES:,}")
        sizes[key] = total
        return total

    if root is not None and not isinstance(root, ScalarNode):
        size(root)
    return sizes.get(id(root), 1)


# --------------------------------------------------------------------------- bytes → text
_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def decode_text(raw: bytes) -> str:
    """UTF-8 text of ``raw`` (a UTF-8 byte-order mark is allowed); ValueError with the reason."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            raise ValueError(f"the file is {name} text (byte-order mark {bom.hex(' ').upper()}); "
                             f"expected UTF-8 (save it as UTF-8)")
    if b"\x00" in raw:
        even, odd = raw[0::2].count(0), raw[1::2].count(0)
        if len(raw) >= 4 and max(even, odd) >= len(raw) // 4 and min(even, odd) == 0:
            raise ValueError("the file looks like UTF-16 text (every other byte is NUL); "
                             "expected UTF-8 (save it as UTF-8)")
        raise ValueError(f"binary data (a NUL byte at offset {raw.index(0)}); "
                         f"expected a YAML text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start - (3 if raw.startswith(codecs.BOM_UTF8) else 0)
        text_before = raw[:exc.start].decode("utf-8-sig", errors="replace")
        line = text_before.count("\n") + 1
        column = len(text_before) - (text_before.rfind("\n") + 1) + 1
        raise ValueError(f"not UTF-8 text: byte 0x{raw[exc.start]:02X} at line {line}, column {column} "
                         f"(offset {max(start, 0)}) does not decode; expected UTF-8 "
                         f"(a Latin-1 or Windows-1252 file? save it as UTF-8)") from None


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES, expected: str = "a YAML scenario file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, read once; ValueError with the
    reason (``expected`` names the kind of file in it)."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat below refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ValueError(f"file not found; expected the path of {expected}") from None
    except IsADirectoryError:
        raise ValueError(f"is a directory; expected {expected}") from None
    except PermissionError:
        raise ValueError("cannot be read: permission denied; expected a file you can read") from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise ValueError(f"the path is too long; expected the path of {expected}") from None
        raise ValueError(f"cannot be opened: {exc.strerror or exc}; expected a readable file") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ValueError(f"is a directory; expected {expected}")
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"is not a regular file (a pipe, socket or device); expected {expected}")
        if st.st_size > limit:
            raise ValueError(f"is too large ({st.st_size:,} bytes); expected at most {limit:,} bytes")
        chunks, size = [], 0
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1
            while chunk := fh.read(1 << 16):
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:  # grew while being read
                    raise ValueError(f"is too large (more than {limit:,} bytes); "
                                     f"expected at most {limit:,} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise ValueError(f"cannot be read: {exc.strerror or exc}; expected a readable file") from None
    finally:
        if fd >= 0:
            os.close(fd)


# --------------------------------------------------------------------------- text → data
def parse_yaml(text: str) -> Any:
    """Parse one YAML document with :class:`StrictLoader`; ValueError with a one-line reason."""
    loader = StrictLoader(text)
    try:
        return loader.get_single_data()
    except _Refused as exc:
        raise ValueError(str(exc)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at {_where(mark)}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        if context and problem.startswith("but "):  # "expected a single document … but found …"
            problem = f"{context} {problem}"
        raise ValueError(f"not valid YAML{where}: {problem}") from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH is far below the recursion limit
        raise ValueError(f"nesting too deep; expected at most {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()


def read_yaml(path: str | Path) -> Any:
    """Data of the YAML file at ``path``; :class:`ScenarioError` naming the file if it is unusable."""
    path = Path(path)
    try:
        return parse_yaml(decode_text(read_bytes(path)))
    except ValueError as exc:
        raise ScenarioError(str(path), [str(exc)]) from None
