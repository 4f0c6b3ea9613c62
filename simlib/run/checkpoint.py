"""Checkpoints of finished replications, so an interrupted or failed run loses nothing.

A replication's tables are written, as soon as it finishes, to ``<dir>/rep-<r>/`` (Parquet, which
round-trips float64 and integer columns exactly), each through a temporary directory renamed into
place: a replication is in the checkpoint completely or not at all. ``run.json`` records what the
replications depend on (the scenario without its run-size fields, the seed, the simlib version),
and so does every replication's own ``replication.json`` (issue 21: a run.json rewritten by another
writer must not make its replications pass for this run's); :meth:`Checkpoint.open` with
``resume=True`` reuses the stored replications only if both identities are the same, so a resumed
run gives the numbers of an uninterrupted one.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simlib.core.atomic import atomic_write_text, fsync_dir, pid_alive
from simlib.scenario.schema import Scenario, ScenarioError
from simlib.core.versions import versions

TABLES = ("metrics", "curves", "aging", "assumptions")
FORMAT_VERSION = 3  # 2: the drawn uncertain assumptions are a table of their own; 3: replication.json
_REP = re.compile(r"^rep-(\d{6,})$")
REP_IDENTITY = "replication.json"  # each replication's seed and parameter hash
_TMP = re.compile(r"^\.rep-\d+\.tmp-(\d+)$")


def identity(sc: Scenario, seed: int) -> dict:
    """What every replication's numbers depend on (not replications, workers or scheduler)."""
    data = sc.model_dump(mode="json")
    for key in ("replications", "workers", "scheduler"):
        data["simulation"].pop(key, None)
    blob = json.dumps(data, sort_keys=True).encode()
    return {"format_version": FORMAT_VERSION, "scenario_hash": hashlib.sha256(blob).hexdigest()[:16],
            "seed": int(seed), "simlib_version": versions().get("simlib")}


@dataclass
class Checkpoint:
    """A directory of finished replications of one (scenario, seed)."""

    directory: Path
    ident: dict

    @classmethod
    def open(cls, directory: str | Path, ident: dict, resume: bool, source: str = "") -> "Checkpoint":
        """Start a checkpoint at ``directory``. Without ``resume`` an earlier one is discarded;
        with it, an earlier one must have the same identity (else :class:`ScenarioError`)."""
        d = Path(directory)
        run_file = d / "run.json"
        if resume and run_file.exists():
            try:
                stored = json.loads(run_file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ScenarioError(source or str(d), [
                    f"--resume: the checkpoint {d} cannot be read ({exc}); remove it or run without "
                    f"--resume"]) from None
            diff = [k for k in ident if stored.get(k) != ident[k]]
            if diff:
                what = ", ".join(f"{k} {stored.get(k)!r} ≠ {ident[k]!r}" for k in diff)
                raise ScenarioError(source or str(d), [
                    f"--resume: the checkpoint {d} is of a different run ({what}); resume with the "
                    f"same parameters and seed, or run without --resume to start again"])
        elif d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True, exist_ok=True)
        ck = cls(d, ident)
        ck._clean_temporaries()
        ck.mark("running")
        return ck

    def mark(self, status: str, **extra) -> None:
        """Record the run's state (``running``, ``failed``, ``interrupted``) in run.json."""
        data = {**self.ident, "status": status,
                "updated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), **extra}
        atomic_write_text(self.directory / "run.json", json.dumps(data, indent=2))

    def _clean_temporaries(self) -> None:
        for entry in self.directory.iterdir():
            m = _TMP.match(entry.name)
            if m and not pid_alive(int(m[1])):
                shutil.rmtree(entry, ignore_errors=True)

    def save(self, replication: int, tables: dict[str, pd.DataFrame]) -> None:
        """Store one finished replication (complete or not at all). Ctrl-C or SIGTERM arriving
        meanwhile waits until the replication is stored (a signal raised inside a Parquet write
        would leave a half-closed writer that complains at exit)."""
        with _signals_deferred():
            self._save(replication, tables)

    def _save(self, replication: int, tables: dict[str, pd.DataFrame]) -> None:
        final = self.directory / f"rep-{replication:06d}"
        tmp = self.directory / f".rep-{replication:06d}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            for name in TABLES:
                tables[name].to_parquet(tmp / f"{name}.parquet", index=False)
                with open(tmp / f"{name}.parquet", "rb") as fh:
                    os.fsync(fh.fileno())
            atomic_write_text(tmp / REP_IDENTITY, json.dumps({**self.ident, "replication": replication}))
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
            fsync_dir(self.directory)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def replications(self) -> list[int]:
        """Indices of the replications stored, in order."""
        return sorted(int(m[1]) for e in self.directory.iterdir() if (m := _REP.match(e.name)))

    def load(self) -> dict[int, dict[str, pd.DataFrame]]:
        """Every stored replication's tables, by replication index."""
        out = {}
        for r in self.replications():
            d = self.directory / f"rep-{r:06d}"
            self._check_identity(r, d)
            tables = {name: pd.read_parquet(d / f"{name}.parquet") for name in TABLES}
            if any(set(t["replication"].unique()) - {r} for t in tables.values()):
                raise ScenarioError(str(d), ["--resume: the checkpoint holds rows of another replication; "
                                             "remove the checkpoint and run again"])
            out[r] = tables
        return out

    def _check_identity(self, replication: int, d: Path) -> None:
        """Refuse a stored replication whose own record names another seed or parameter set."""
        try:
            stored = json.loads((d / REP_IDENTITY).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = {}
        diff = [k for k in self.ident if stored.get(k) != self.ident[k]]
        if diff or stored.get("replication") != replication:
            what = (", ".join(f"{k} {stored.get(k)!r} ≠ {self.ident[k]!r}" for k in diff)
                    or f"replication {stored.get('replication')!r} ≠ {replication}")
            raise ScenarioError(str(d), [
                f"--resume: stored replication {replication} is of a different run ({what}); resume with "
                f"the same parameters and seed, or run without --resume to start again"])

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def checkpoint_dir(result_dir: str | Path) -> Path:
    """Where the checkpoint of the run publishing ``result_dir`` lives (a hidden sibling)."""
    result_dir = Path(result_dir)
    return result_dir.with_name(f".{result_dir.name}.checkpoint")


@contextlib.contextmanager
def _signals_deferred():
    """Hold SIGINT and SIGTERM for the duration (main thread only: where Python runs handlers);
    the first one that arrived is handed to the previous handler afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: received.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if received:
            sig = received[0]
            handler = previous[sig]
            if callable(handler):
                handler(sig, None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), sig)
