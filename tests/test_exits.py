"""One exit-code mapper (simlib.run.exits.exit_code) for simlib run|report, search and calibrate."""
from __future__ import annotations

from simlib.core.ledger import ConservationError
from simlib.core.settings import ScenarioError
from simlib.run import exits
from simlib.run.dask_cluster import ClusterError


def _chain(outer: Exception, inner: Exception) -> Exception:
    try:
        try:
            raise inner
        except Exception as exc:
            raise outer from exc
    except Exception as err:
        return err


class ReportError(RuntimeError):
    """Named as the report wing's: the run layer knows it by name only."""


def test_the_code_comes_from_the_cause_chain():
    assert exits.exit_code(exits.Terminated())[0] == exits.EXIT_SIGTERM
    assert exits.exit_code(KeyboardInterrupt())[0] == exits.EXIT_SIGINT
    money = ConservationError("1 cent")
    code, cause = exits.exit_code(_chain(RuntimeError("replication 3 failed"), money))
    assert code == exits.EXIT_MONEY and cause is money
    assert exits.exit_code(_chain(RuntimeError("x"), ClusterError("unreachable")))[0] == exits.EXIT_CLUSTER
    bad = ScenarioError("f.yaml", ["simulation.seed: expected a whole number"])
    assert exits.exit_code(_chain(ReportError("cell failed"), bad)) == (exits.EXIT_INPUT, bad)
    assert exits.exit_code(ReportError("cell failed"))[0] == exits.EXIT_REPORT
    assert exits.exit_code(PermissionError(13, "denied", "out"))[0] == exits.EXIT_INPUT
    assert exits.exit_code(ValueError("a bug")) is None  # unexpected: the caller lets it raise


def test_a_command_adds_its_own_rules():
    class EvaluationError(RuntimeError):
        pass

    err = _chain(RuntimeError("search failed"), EvaluationError("candidate 4"))
    assert exits.exit_code(err) is None
    assert exits.exit_code(err, extra=((EvaluationError, exits.EXIT_REPLICATION),))[0] == exits.EXIT_REPLICATION
