"""Notebook execution with papermill: the declared parameters (the cell tagged ``parameters``),
a check that refuses unknown names (papermill only warns), and execution that turns a failing
cell into a :class:`ReportError` naming notebook, cell and exception. Notebooks may execute side by
side in threads: :class:`RunningKernels` lends each one a kernel, reuses the kernels of the pages
done (a kernel's start-up and the imports of ``simlib`` cost seconds of CPU per page) and stops
them together."""
from __future__ import annotations

import ast
import contextlib
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from simlib.report.errors import ReportError


KERNEL_NAME = "python3"
# The kernel's own log (its "running over TCP without encryption" warning on every start, a
# "KeyboardInterrupt caught" when papermill interrupts it at shutdown) is noise on the report
# command's terminal: a failing cell still reaches us as a PapermillExecutionError, and a kernel
# that cannot start as an exception from jupyter_client.
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=CRITICAL",)


class RunningKernels:
    """The kernels of the notebooks one build executes side by side. :meth:`lend` gives a notebook
    a started kernel: one a notebook before it finished with (its namespace and execution count
    reset, as a new session), else a new one. Only the imported modules carry over, and every page
    sets what it reads (the results, the language) in its first cells, so the pages are the same
    as in new kernels, without a kernel start and the imports of ``simlib`` per page.
    :meth:`stop` kills them all (the build was interrupted, or a page failed), so no notebook runs
    on after the build gave up; a kernel that starts after ``stop`` is killed as it starts.
    :meth:`close` shuts the idle ones down at the end of the build."""

    def __init__(self) -> None:
        from jupyter_client import AsyncKernelManager

        self._lock = threading.Lock()
        self._managers: list = []
        self._idle: dict[str, list] = {}  # kernels free to lend, by working directory
        self._stopped = False
        kernels = self

        class _Registered(AsyncKernelManager):
            async def start_kernel(self, **kw):
                await super().start_kernel(**kw)
                kernels._started(self)

            def client(self, **kw):  # nbclient leaves the client of a kernel it does not own open
                kc = super().client(**kw)
                self.simlib_clients = [*getattr(self, "simlib_clients", []), kc]
                return kc

        self.manager_class = _Registered

    def _started(self, manager) -> None:
        with self._lock:
            self._managers.append(manager)
            stopped = self._stopped
        if stopped:
            _kill(manager)

    @contextlib.contextmanager
    def lend(self, cwd: Path) -> Iterator[Any]:
        """A started kernel in ``cwd`` for one notebook; returned for the next one when the notebook
        succeeded and the kernel could be reset, else shut down."""
        from jupyter_core.utils import run_sync

        key = str(cwd)
        with self._lock:
            idle = self._idle.get(key)
            manager = idle.pop() if idle else None
        if manager is None:
            manager = self.manager_class(kernel_name=KERNEL_NAME)
            try:  # as nbclient starts the kernels it owns: the kernel's history in memory, not on disk
                run_sync(manager.start_kernel)(
                    extra_arguments=[*KERNEL_ARGUMENTS, "--HistoryManager.hist_file=:memory:"], cwd=key)
            except BaseException:
                _shut_down(manager)
                raise
        reusable = False
        try:
            yield manager
            reusable = True
        finally:
            for kc in getattr(manager, "simlib_clients", []):
                kc.stop_channels()
            manager.simlib_clients = []
            reusable = reusable and _new_session(manager)
            with self._lock:
                if reusable and not self._stopped:
                    self._idle.setdefault(key, []).append(manager)
                    manager = None
            if manager is not None:
                _shut_down(manager)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            managers = list(self._managers)
        for manager in managers:
            _kill(manager)

    def close(self) -> None:
        """Shut down the kernels left idle (the build is over)."""
        with self._lock:
            idle = [m for ms in self._idle.values() for m in ms]
            self._idle.clear()
        for manager in idle:
            _shut_down(manager)


def _new_session(manager, timeout_s: float = 60) -> bool:
    """Reset the kernel's namespace and execution count, as IPython starts a new session; False
    when the kernel is dead or does not answer (it is then not lent again)."""
    from jupyter_client import BlockingKernelClient

    kc = BlockingKernelClient()
    kc.load_connection_info(manager.get_connection_info())
    kc.start_channels()
    try:
        msg_id = kc.execute("get_ipython().reset(new_session=True)", silent=True, store_history=False)
        while True:
            reply = kc.get_shell_msg(timeout=timeout_s)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"]["status"] == "ok"
    except Exception:  # the kernel died or hangs: a new one is started for the next notebook
        return False
    finally:
        kc.stop_channels()


def _shut_down(manager) -> None:
    from jupyter_core.utils import run_sync

    try:
        run_sync(manager.shutdown_kernel)(now=True)
    except Exception:  # already dead: nothing to shut down
        _kill(manager)


def _kill(manager) -> None:
    """Kill a local kernel's process (its notebook's execution then fails: the kernel died)."""
    process = getattr(manager.provisioner, "process", None)
    if process is not None and process.poll() is None:
        process.kill()


def _load_notebook(path: Path):
    import nbformat

    if not path.exists():
        raise ReportError(f"notebook {path} not found")
    return nbformat.read(str(path), as_version=4)


def notebook_parameters(notebook: str | Path) -> dict[str, Any]:
    """The names and literal defaults of the notebook's cell tagged ``parameters``.

    Every statement there must be ``name = <literal>`` so papermill can override it and
    JupyterLab runs the same defaults.
    """
    path = Path(notebook)
    nb = _load_notebook(path)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ReportError(f"notebook {path.name}: expected exactly one cell tagged 'parameters', "
                          f"found {len(cells)}")
    try:
        tree = ast.parse(cells[0].source)
    except SyntaxError as exc:
        raise ReportError(f"notebook {path.name}: parameters cell is not valid Python: {exc}") from None
    params: dict[str, Any] = {}
    for node in tree.body:
        if not (isinstance(node, (ast.Assign, ast.AnnAssign))):
            raise ReportError(f"notebook {path.name}: parameters cell line {node.lineno}: "
                              "only 'name = literal' assignments are allowed")
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if len(targets) != 1 or not isinstance(targets[0], ast.Name) or node.value is None:
            raise ReportError(f"notebook {path.name}: parameters cell line {node.lineno}: "
                              "only 'name = literal' assignments are allowed")
        try:
            params[targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            raise ReportError(f"notebook {path.name}: parameter {targets[0].id!r} must have a plain "
                              "literal default (number, string, True/False/None)") from None
    return params


def check_parameters(notebook: str | Path, parameters: Mapping[str, Any]) -> None:
    """Raise :class:`ReportError` if ``parameters`` names anything the notebook does not declare."""
    declared = notebook_parameters(notebook)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ReportError(
            f"notebook {Path(notebook).name}: unknown parameter(s) {', '.join(map(repr, unknown))}; "
            f"it accepts {', '.join(map(repr, sorted(declared)))}")


def execute_notebook(notebook: str | Path, parameters: Mapping[str, Any], *, cwd: str | Path | None = None,
                     failed_copy: str | Path | None = None, start_timeout: int = 120,
                     kernels: RunningKernels | None = None):
    """Execute ``notebook`` with papermill into a temp file and return the executed NotebookNode.

    The parameter names are checked first. On a cell error raise :class:`ReportError` naming the
    notebook, the failing cell (index in the executed notebook and execution count) and the
    exception; the failed notebook is kept at ``failed_copy`` (if given) for inspection.
    ``kernels``: the notebook executes in a kernel lent by it (:meth:`RunningKernels.lend`).
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    notebook = Path(notebook).resolve()
    check_parameters(notebook, parameters)
    cwd = Path(cwd).resolve() if cwd is not None else notebook.parent
    with tempfile.TemporaryDirectory(prefix="simlib-nb-") as tmp, contextlib.ExitStack() as lent:
        out = Path(tmp) / notebook.name
        try:
            km = lent.enter_context(kernels.lend(cwd)) if kernels is not None else None
            # the kernel starts in ``cwd`` (nbclient's resources path), not papermill's ``cwd=``: that
            # one changes the process's directory, which pages rendered side by side would race on
            pm.execute_notebook(str(notebook), str(out), parameters=dict(parameters),
                                kernel_name=KERNEL_NAME, progress_bar=False,
                                log_output=False, start_timeout=start_timeout,
                                extra_arguments=list(KERNEL_ARGUMENTS),
                                resources={"metadata": {"path": str(cwd)}},
                                **({"km": km} if km is not None else {}))
        except PapermillExecutionError as exc:
            where = ""
            if failed_copy is not None and out.exists():
                Path(failed_copy).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(out, failed_copy)
                where = f" (executed notebook kept at {failed_copy})"
            first_line = next((ln for ln in str(exc.source).splitlines() if ln.strip()), "")
            raise ReportError(
                f"notebook {notebook.name} failed in cell {exc.cell_index} "
                f"(execution count {exc.exec_count}, starting {first_line.strip()!r}): "
                f"{exc.ename}: {exc.evalue}{where}") from None
        except Exception as exc:  # kernel did not start, notebook unreadable, …
            raise ReportError(f"notebook {notebook.name} could not be executed: "
                              f"{type(exc).__name__}: {exc}") from exc
        return nbformat.read(str(out), as_version=4)
