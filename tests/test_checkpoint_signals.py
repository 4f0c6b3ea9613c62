"""A signal that arrives while a finished replication is being stored waits until it is stored."""
from __future__ import annotations

import os
import signal

import pytest

from simlib.run.checkpoint import _signals_deferred


def test_ctrl_c_during_a_checkpoint_write_is_raised_after_it():
    stored = []
    with pytest.raises(KeyboardInterrupt):
        with _signals_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            stored.append("tables")          # still runs: the signal is held
    assert stored == ["tables"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


def test_no_signal_no_effect():
    with _signals_deferred():
        pass
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
