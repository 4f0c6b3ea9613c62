"""Reuse runs (issue 27, item 4): a repeated (strategy, parameters, seed, replication) is read from the
content-addressed result cache with identical numbers; the key holds every input; several processes
share a cache directory without two of them writing one result."""
from __future__ import annotations

import multiprocessing
import os
import time

import pandas as pd
import pytest

from simlib.run import result_cache
from simlib.run.replication import run_replication
from simlib.scenario.schema import scenario_from_dict
from simlib.studies.sensitivity import two_strategy_scenario

from tests.conftest import tiny

STRATEGIES = {
    "letters": {"statement_channel": "letter", "ladder": [{"day": 30, "channel": "letter"}],
                "write_off": {"after_days": 150}, "baseline": True},
    "texts": {"statement_channel": "email", "ladder": [{"day": 5, "channel": "sms"}, {"day": 20, "channel": "sms"}],
              "write_off": {"after_days": 150}},
    "discount": {"statement_channel": "email", "prompt_pay_discount": {"rate": 0.1, "window_days": 20},
                 "write_off": {"after_days": 150}},
}


def scenario(**sections):
    return scenario_from_dict(tiny(STRATEGIES, simulation={"encounters_per_day": 3.0}, **sections), "cache")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(result_cache.ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _equal(a: dict, b: dict) -> None:
    for name in ("metrics", "curves", "aging", "assumptions"):
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)


def test_a_repeated_run_is_read_with_identical_numbers(cache_dir, monkeypatch):
    sc = scenario()
    monkeypatch.delenv(result_cache.ENV)
    plain = run_replication(sc, 2, 11)  # no cache
    monkeypatch.setenv(result_cache.ENV, str(cache_dir))
    cache = result_cache.active()
    first = run_replication(sc, 2, 11)
    assert (cache.hits, cache.misses, cache.writes) == (0, 3, 3)
    second = run_replication(sc, 2, 11)
    assert (cache.hits, cache.writes) == (3, 3)
    _equal(plain, first)
    _equal(plain, second)
    assert plain["metrics"]["value"].abs().sum() > 0


def test_a_two_strategy_scenario_reads_the_main_runs(cache_dir):
    """The sensitivity's two-strategy scenario (other name, other strategies, other baseline flag)
    at the file's values is the main run's strategies: both read, same numbers."""
    sc = scenario()
    main = run_replication(sc, 0, 5)
    pair = two_strategy_scenario(sc, "texts", "discount")
    cache = result_cache.active()
    hits = cache.hits
    got = run_replication(pair, 0, 5)
    assert cache.hits - hits == 2
    m = main["metrics"][main["metrics"]["strategy"].isin(["texts", "discount"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(m, got["metrics"].sort_values(["strategy"], kind="stable", key=lambda s: s.map(
        {"texts": 0, "discount": 1})).reset_index(drop=True).pipe(lambda d: d.set_axis(m.index)), check_exact=True)


@pytest.mark.parametrize("change", ["seed", "replication", "parameter", "strategy", "code", "engine"])
def test_every_input_is_in_the_key(change, monkeypatch):
    sc = scenario()
    flags = {"any_factoring": False, "any_reacts": False}
    key = result_cache.run_key(sc, "texts", 5, 0, flags)
    assert result_cache.run_key(sc, "texts", 5, 0, flags) == key
    if change == "seed":
        other = result_cache.run_key(sc, "texts", 6, 0, flags)
    elif change == "replication":
        other = result_cache.run_key(sc, "texts", 5, 1, flags)
    elif change == "parameter":
        other = result_cache.run_key(scenario(behaviour={"initial_per_day": 0.0301}), "texts", 5, 0, flags)
    elif change == "strategy":
        other = result_cache.run_key(sc, "discount", 5, 0, flags)
    elif change == "engine":
        monkeypatch.setenv("SIMLIB_ENGINE", "simpy")  # the default is the hybrid
        other = result_cache.run_key(sc, "texts", 5, 0, flags)
    else:
        monkeypatch.setattr(result_cache, "code_version", lambda: "another version of the code")
        other = result_cache.run_key(sc, "texts", 5, 0, flags)
    assert other != key


def test_the_code_version_follows_the_simulating_code_not_the_report_pages(tmp_path, monkeypatch):
    """A page's code changes no simulated number (the report wing is above every layer that
    simulates): editing it keeps the cached runs; editing any other source does not (stop 37)."""
    for rel in ("model/engine.py", "run/replication.py", "report/pipeline.py", "report/plots.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(f"# {rel}\n")
    monkeypatch.setattr(result_cache, "PACKAGE", tmp_path)
    version = result_cache.code_version.__wrapped__
    before = version()
    (tmp_path / "report" / "pipeline.py").write_text("# a faster page\n")
    (tmp_path / "report" / "new_page.py").write_text("# a new page\n")
    assert version() == before
    (tmp_path / "run" / "replication.py").write_text("# another runner\n")
    assert version() != before


def test_the_name_words_and_execution_options_are_not_in_the_key():
    sc = scenario()
    flags = {"any_factoring": False, "any_reacts": False}
    data = sc.model_dump(mode="json")
    data.update(name="renamed", description="other words")
    data["simulation"].update(replications=7, workers=2)
    data["strategies"]["texts"]["label"] = "Texts, renamed"
    assert result_cache.run_key(scenario_from_dict(data), "texts", 5, 0, flags) == \
        result_cache.run_key(sc, "texts", 5, 0, flags)


def _store(args) -> bool:
    directory, key, start = args
    while time.time() < start:  # every process stores at the same instant
        pass
    return result_cache.ResultCache(directory).store(key, {"pid": os.getpid(), "payload": "x" * 200_000})


def test_two_processes_never_write_one_result(tmp_path):
    key = "ab" + "0" * 62
    start = time.time() + 1.0
    with multiprocessing.get_context("fork").Pool(4) as pool:
        wrote = pool.map(_store, [(tmp_path, key, start)] * 4)
    assert sum(wrote) == 1
    assert result_cache.ResultCache(tmp_path).load(key)["payload"] == "x" * 200_000
    assert not list(tmp_path.rglob("*.lock")) and not list(tmp_path.rglob("*.tmp"))


def test_a_claim_of_a_live_process_holds_and_a_dead_ones_is_taken_over(tmp_path):
    cache = result_cache.ResultCache(tmp_path)
    key = "cd" + "1" * 62
    lock = cache.path(key).with_suffix(".lock")
    lock.parent.mkdir(parents=True)
    lock.write_text(str(os.getppid()))  # a live process is writing it
    assert cache.store(key, 1) is False and cache.load(key) is None
    dead = multiprocessing.get_context("fork").Process(target=int)
    dead.start()
    dead.join()
    lock.write_text(str(dead.pid))  # its writer died
    assert cache.store(key, 1) is True and cache.load(key) == 1
    assert cache.store(key, 2) is False and cache.load(key) == 1  # written once


def test_a_damaged_entry_is_simulated_again(cache_dir):
    sc = scenario()
    first = run_replication(sc, 1, 3)
    for entry in cache_dir.rglob("*.pkl"):
        entry.write_bytes(b"not a pickle")
    _equal(first, run_replication(sc, 1, 3))
