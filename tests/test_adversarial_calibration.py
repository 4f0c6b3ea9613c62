"""Issue 21, item 5 (adversarial corpus): calibration files are read like scenario files.

On af304e3 a FIFO as history, mapping or fitted file hung forever; duplicated invoice ids were
counted twice; NUL bytes were accepted; an amount of 1e308 overflowed int64 cents in ``check``; an
invoice dated year 1 and a settle date in 9999 were accepted; a single customer gave a zero-width
bootstrap interval presented as precise.
"""
from __future__ import annotations

import os
import threading

import pytest

from simlib.calibration import input_files
from simlib.calibration.check import BOOTSTRAP_MIN_CUSTOMERS, check
from simlib.calibration.command import fit_main
from simlib.calibration.fitted_file import FittedFileError, load_fitted
from simlib.calibration.history import HistoryError, load_mapping, read_history
from simlib.calibration.parameters import PaymentTiming
from simlib.calibration.synthetic import synthetic_history

HEADER = "customerID,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,Disputed,SettledDate,PaperlessBill\n"
ROWS = ["A,100,1/5/2013,2/4/2013,61.74,Yes,2/20/2013,Electronic\n",
        "A,101,1/9/2013,2/8/2013,10.00,No,,Paper\n",
        "B,102,3/1/2013,3/31/2013,99.5,No,3/10/2013,Paper\n"]


def _csv(tmp_path, rows, name="h.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows))
    return path


def _fifo(tmp_path, name):
    path = tmp_path / name
    os.mkfifo(path)
    return path


def _no_hang(fn, *args):
    """Run ``fn``; fail (instead of hanging the suite) if it does not return within 20 s."""
    box = {}

    def target():
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(20)
    assert not t.is_alive(), f"{fn.__name__} hangs on a FIFO"
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.mark.parametrize("reader, error", [(read_history, HistoryError), (load_mapping, HistoryError),
                                           (load_fitted, FittedFileError)])
def test_a_fifo_is_refused_at_once(tmp_path, reader, error):
    with pytest.raises(error, match="is not a regular file"):
        _no_hang(reader, _fifo(tmp_path, "input"))


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(HistoryError, match="is a directory; expected a payment-history CSV file"):
        read_history(tmp_path)


def test_fit_on_a_fifo_is_one_line_and_exit_2(tmp_path, capsys):
    assert _no_hang(fit_main, [str(_fifo(tmp_path, "h.csv")), "--out", str(tmp_path / "f.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a regular file" in err


def test_nul_bytes_are_refused_naming_the_line(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes((HEADER + ROWS[0] + ROWS[1]).encode() + b"B,102,3/1/2013\x00,3/31/2013,1,No,,Paper\n")
    with pytest.raises(HistoryError, match="line 4 holds a NUL byte"):
        read_history(path)


def test_a_duplicated_invoice_is_refused_naming_both_rows(tmp_path):
    path = _csv(tmp_path, ROWS + ["C,101,4/1/2013,5/1/2013,20,No,,Paper\n"])
    with pytest.raises(HistoryError, match=r"rows 3 and 5, column 'invoiceNumber': invoice '101' is listed twice"):
        read_history(path)


def test_an_explicit_invoice_column_must_exist(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("invoice_id: InvoiceNo\n")
    with pytest.raises(HistoryError, match="missing column 'InvoiceNo'"):
        read_history(_csv(tmp_path, ROWS), load_mapping(mapping))


@pytest.mark.parametrize("row, words", [
    ("C,103,4/1/2013,5/1/2013,1e308,No,,Paper\n", "row 5, column 'InvoiceAmount': expected an amount of at most"),
    ("C,103,1/1/0001,5/1/2013,20,No,,Paper\n", "row 5, column 'InvoiceDate'"),
    ("C,103,4/1/1900,5/1/2013,20,No,,Paper\n", "row 5, column 'InvoiceDate': expected a date from 1950-01-01"),
    ("C,103,4/1/2013,5/1/2013,20,No,12/31/9999,Paper\n",
     "row 5, column 'SettledDate': expected a date from 1950-01-01 to 2100-12-31; found '12/31/9999'"),
])
def test_amounts_and_dates_are_bounded_naming_the_row(tmp_path, row, words):
    with pytest.raises(HistoryError, match=words.replace("(", r"\(").replace("$", r"\$")):
        read_history(_csv(tmp_path, ROWS + [row]))


def test_the_history_is_read_once(tmp_path, monkeypatch):
    calls = []
    real = input_files.read_bytes
    monkeypatch.setattr(input_files, "read_bytes", lambda *a, **k: calls.append(a) or real(*a, **k))
    history = read_history(_csv(tmp_path, ROWS))
    assert len(calls) == 1 and history.n_invoices == 3


TRUE = PaymentTiming(planner_share=0.8, planned_day_scale_of_terms=0.9, planned_day_shape=2.6,
                     dispute_delay_days=8.0, paper_delay_days=4.5, initial_per_day=0.08, decay_per_day=0.05,
                     due_date_jump_per_day=0.5, dispute_intensity_factor=0.3, paper_intensity_factor=0.5,
                     balance_elasticity=0.4, balance_ref=60.0)


def test_a_bootstrap_over_too_few_customers_says_so(tmp_path, capsys):
    table = synthetic_history(TRUE, 300, seed=5, window_days=200, extraction_day=200)
    table["customerID"] = "only-one"
    path = tmp_path / "one.csv"
    table.to_csv(path, index=False)
    history = read_history(path, extraction_date=table.attrs["extraction_date"])
    report = check(TRUE, history, replications=2, seed=3, bootstrap=50)
    assert report["customers"] == 1 and report["ks"]["ci95"] is None
    assert report["mean_days"]["difference_ci95"] is None
    assert f"needs at least {BOOTSTRAP_MIN_CUSTOMERS}; the history has 1" in report["interval_note"]
