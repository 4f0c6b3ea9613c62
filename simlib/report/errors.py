"""The one exception of the report package: a report could not be built, said in one paragraph."""
from __future__ import annotations


class ReportError(Exception):
    """A report could not be built; ``str(err)`` says which file, notebook or cell and why."""
