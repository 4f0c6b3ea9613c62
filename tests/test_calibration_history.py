"""Reading a payment history: the shared invoices, other layouts, censoring, and every error category."""
from pathlib import Path

import pandas as pd
import pytest

from simlib.calibration.history import HistoryError, HistoryMapping, load_mapping, read_history

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ar_payment_history" / "invoices.csv"

HEADER = "customerID,InvoiceDate,DueDate,InvoiceAmount,Disputed,SettledDate,PaperlessBill\n"
GOOD = [
    "A,1/5/2013,2/4/2013,61.74,Yes,2/20/2013,Electronic\n",
    "A,1/9/2013,2/8/2013,10.00,No,,Paper\n",
    "B,3/1/2013,3/31/2013,99.5,No,3/10/2013,Paper\n",
]


def _csv(tmp_path, rows, header=HEADER, name="h.csv"):
    path = tmp_path / name
    path.write_text(header + "".join(rows))
    return path


@pytest.fixture(scope="module")
def shared():
    if not SHARED.exists():
        pytest.skip(f"shared invoice history not found at {SHARED}")
    return read_history(SHARED)


def test_shared_invoices_read_as_documented(shared):
    t = shared.table
    assert (shared.n_invoices, shared.n_settled, shared.n_open, shared.n_customers) == (1692, 1692, 0, 70)
    raw = pd.read_csv(SHARED)
    assert (t["days_to_settle"].to_numpy() == raw["DaysToSettle"].to_numpy()).all()
    assert (t["terms_days"] == 30).all()
    assert t["disputed"].sum() == (raw["Disputed"] == "Yes").sum() == 395
    assert t["paper"].sum() == (raw["PaperlessBill"] == "Paper").sum() == 911
    assert round(t["days_to_settle"].mean(), 1) == 26.7   # the README's figure
    prov = shared.provenance()
    assert prov["rows"] == 1692 and len(prov["sha256"]) == 64 and prov["extraction_date"] == "2014-01-09"


def test_open_invoices_are_censored_at_the_latest_date(tmp_path):
    h = read_history(_csv(tmp_path, GOOD))
    t = h.table
    assert h.extraction_date == pd.Timestamp("2013-03-10")          # latest invoice or settle date
    assert list(t["settled"]) == [True, False, True]
    assert t["days_to_settle"].iloc[0] == 46 and t["days_to_settle"].iloc[2] == 9
    assert t["days_open"].iloc[1] == (pd.Timestamp("2013-03-10") - pd.Timestamp("2013-01-09")).days


def test_extraction_date_turns_later_settlements_into_open_invoices(tmp_path):
    with pytest.raises(HistoryError, match=r"row 4, column 'InvoiceDate': invoice date 2013-03-01 is after"):
        read_history(_csv(tmp_path, GOOD), extraction_date="2013-02-28")
    h = read_history(_csv(tmp_path, GOOD[:2]), extraction_date="2013-02-15")
    assert list(h.table["settled"]) == [False, False]
    assert list(h.table["days_open"]) == [41, 37]


def test_mapping_reads_another_layout(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("acct,billed,due,paid,usd,contested\n"
                    "X,2013-01-05,2013-01-20,2013-01-25,12.5,1\nY,2013-01-06,2013-01-21,,8,0\n")
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text("customer_id: acct\ninvoice_date: billed\ndue_date: due\nsettle_date: paid\n"
                            "amount: usd\ndisputed: contested\ndisputed_values: [1]\nundisputed_values: [0, No]\n"
                            "paper: null\ndate_format: '%Y-%m-%d'\n"
                            "extraction_date: 2013-02-01\n")
    h = read_history(path, load_mapping(mapping_file))
    assert list(h.table["terms_days"]) == [15, 15]
    assert list(h.table["disputed"]) == [True, False] and not h.table["paper"].any()
    assert h.table["days_to_settle"].iloc[0] == 20 and h.table["days_open"].iloc[1] == 26


@pytest.mark.parametrize("rows, header, message", [
    (GOOD, HEADER.replace("SettledDate", "Paid"),
     r"h\.csv: missing column 'SettledDate' \(mapping field settle_date\); found columns: customerID"),
    ([GOOD[0], "B,13/45/2013,2/4/2013,5,No,,Paper\n"], HEADER,
     r"h\.csv: row 3, column 'InvoiceDate': expected a date in format %m/%d/%Y; found '13/45/2013'"),
    ([GOOD[0], "B,1/5/2013,2/4/2013,5,No,2013-02-01,Paper\n"], HEADER,
     r"h\.csv: row 3, column 'SettledDate': expected a date in format %m/%d/%Y; found '2013-02-01'"),
    (["B,1/5/2013,,5,No,,Paper\n"], HEADER,
     r"h\.csv: row 2, column 'DueDate': expected a date in format %m/%d/%Y; found an empty cell"),
    ([GOOD[0], "B,3/5/2013,4/4/2013,5,No,3/1/2013,Paper\n"], HEADER,
     r"h\.csv: row 3, column 'SettledDate': settle date 2013-03-01 is before the invoice date 2013-03-05 "
     r"\(column 'InvoiceDate'\)"),
    (["B,3/5/2013,4/4/2013,-5,No,,Paper\n", "C,3/5/2013,4/4/2013,-1,No,,Paper\n"], HEADER,
     r"h\.csv: row 2, column 'InvoiceAmount': expected an amount > 0; found '-5' \(1 more row like this\)"),
    (["B,3/5/2013,4/4/2013,NaN,No,,Paper\n"], HEADER,
     r"h\.csv: row 2, column 'InvoiceAmount': expected an amount > 0; found 'NaN'"),
    (["B,3/5/2013,4/4/2013,,No,,Paper\n"], HEADER,
     r"h\.csv: row 2, column 'InvoiceAmount': expected an amount > 0; found ''"),
    (["B,3/5/2013,4/4/2013,5,maybe,,Paper\n"], HEADER,
     r"h\.csv: row 2, column 'Disputed': expected one of Yes, Y, 1, true, No, N, 0, false; found 'maybe'"),
    ([], HEADER, r"h\.csv: no invoices"),
])
def test_malformed_history_is_one_line_naming_file_row_and_column(tmp_path, rows, header, message):
    with pytest.raises(HistoryError, match=message) as info:
        read_history(_csv(tmp_path, rows, header))
    assert "\n" not in str(info.value)


def test_missing_file_and_bad_mapping_are_one_line(tmp_path):
    with pytest.raises(HistoryError, match=r"nope\.csv: cannot read the history file"):
        read_history(tmp_path / "nope.csv")
    bad = tmp_path / "map.yaml"
    bad.write_text("invoice_dat: Billed\n")
    with pytest.raises(HistoryError, match=r"map\.yaml: field 'invoice_dat': Extra inputs are not permitted"):
        load_mapping(bad)
    assert HistoryMapping().date_format == "%m/%d/%Y"


def test_the_documented_mapping_is_the_default(tmp_path):
    """docs/calibration.md's mapping example parses and lists exactly the defaults (docs cannot rot)."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "calibration.md").read_text()
    block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "map.yaml"
    path.write_text(block)
    assert load_mapping(path) == HistoryMapping()
