"""Values typed by a user: stored exactly as typed, or refused with a sentence, not a traceback."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from hairtrack.cli.main import main
from hairtrack.core.domain import Sex
from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import importer, records
from hairtrack.core.services.records import TreatmentFields

UTC = timezone.utc
TODAY = date.today()

FAITHFUL_NAMES = [
    "Siobhán O'Brien",
    'Anne "Nan" Lee',
    "Zoë Müller 😀",
    "👨‍👩‍👧 Family (zero-width joiners)",
    "محمد عبد الله",
    "Robert'); DROP TABLE patients;--",
    "100% _under_ \\back\\slash",
    "x" * 200,  # the column's full width
]


@pytest.mark.parametrize("name", FAITHFUL_NAMES)
def test_names_are_stored_exactly_as_typed(library: Library, name: str) -> None:
    mrn = name[:64]
    added = records.add_patient(library, mrn, name, notes=f"line one\n{name}\n\ttabbed")
    again = records.patient_by_mrn(library, mrn)
    assert (again.mrn, again.name, again.notes) == (mrn, name, f"line one\n{name}\n\ttabbed")
    assert again == added
    assert [p.id for p in records.list_patients(library, name[1:6])] == [added.id]
    assert len(records.list_patients(library)) == 1  # the "DROP TABLE" did nothing


def test_outer_spaces_are_trimmed_inner_ones_kept(library: Library) -> None:
    added = records.add_patient(library, "  MRN 7 ", "\u00a0 Mary  Ann \u2003")
    assert (added.mrn, added.name) == ("MRN 7", "Mary  Ann")


@pytest.mark.parametrize(("mrn", "name", "words"), [
    ("", "No Mrn", "needs an MRN"),
    ("   ", "No Mrn", "needs an MRN"),
    ("M-1", "", "needs a name"),
    ("M-1", " \t ", "needs a name"),
    ("M" * 65, "Long Mrn", "MRN / external id is too long (65 characters, at most 64)"),
    ("M-1", "n" * 201, "name is too long (201 characters, at most 200)"),
    ("M-1", "Two\nLines", "name contains '\\n', which is not printable"),
    ("M-1", "Nul\x00Byte", "name contains '\\x00'"),
    ("M\x1b[31m", "Escape", "MRN / external id contains '\\x1b'"),
    ("M-1", "caf\udce9", "name contains '\\udce9'"),  # undecodable bytes from a terminal
])
def test_unstorable_identities_are_refused(library: Library, mrn: str, name: str,
                                           words: str) -> None:
    with pytest.raises(ValueError) as refused:
        records.add_patient(library, mrn, name)
    assert words in str(refused.value)
    kept = records.add_patient(library, "OK-1", "Kept")
    with pytest.raises(ValueError) as again:
        records.update_patient(library, kept.id, mrn=mrn or " ", name=name or " ",
                               date_of_birth=None, sex=Sex.UNKNOWN, notes="")
    assert words in str(again.value)
    assert records.list_patients(library) == [kept]


@pytest.mark.parametrize(("born", "words"), [
    (None, "is in the future"),  # tomorrow: read when the test runs, which may be past midnight
    (date(2999, 1, 1), "is in the future"),
    (date(1899, 12, 31), "is before 1900"),
    (date(1, 1, 1), "is before 1900"),
])
def test_implausible_dates_of_birth(library: Library, born: date | None, words: str) -> None:
    born = born or date.today() + timedelta(days=1)
    with pytest.raises(ValueError, match=words):
        records.add_patient(library, "B-1", "Born Late", born)
    patient = records.add_patient(library, "B-2", "Born Well", date(1900, 1, 1))
    with pytest.raises(ValueError, match=words):
        records.update_patient(library, patient.id, mrn="B-2", name="Born Well",
                               date_of_birth=born, sex=Sex.UNKNOWN, notes="")
    today = date.today()
    assert records.add_patient(library, "B-3", "Born Today", today).date_of_birth == today
    assert records.patient_by_mrn(library, "B-2").date_of_birth == date(1900, 1, 1)


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1899, 12, 31), date(9999, 12, 31),
                                 TODAY + timedelta(days=400)])
def test_implausible_visit_and_treatment_dates(library: Library, patient_id: int,
                                               day: date) -> None:
    when = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    with pytest.raises(ValueError, match=r"visit date .* is not plausible"):
        records.add_visit(library, patient_id, when)
    visit = records.add_visit(library, patient_id, datetime(2024, 5, 1, 9, tzinfo=UTC))
    with pytest.raises(ValueError, match=r"visit date .* is not plausible"):
        records.update_visit(library, visit.id, when, "moved")
    with pytest.raises(ValueError, match=r"treatment date .* is not plausible"):
        records.add_treatment(library, patient_id, TreatmentFields(day, "prp"))
    record = records.patient_record(library, patient_id)
    assert [(v.visited_at, v.notes) for v in record.visits] == [
        (datetime(2024, 5, 1, 9, tzinfo=UTC), "")]
    assert record.treatments == ()


def test_near_future_and_today_are_stored_faithfully(library: Library, patient_id: int) -> None:
    """A planned session next month is not a typo: it is kept as typed."""
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    visit = records.add_visit(library, patient_id, soon, "planned 😀 'follow-up'")
    event = records.add_treatment(library, patient_id, TreatmentFields(
        TODAY, "prp", product='Regen "Plus"', lot="L-1'; --", notes="two\nlines"))
    record = records.patient_record(library, patient_id)
    assert [(v.visited_at, v.notes) for v in record.visits] == [(soon, visit.notes)]
    assert visit.notes == "planned 😀 'follow-up'"
    assert record.treatments == (event,)
    assert (event.product, event.lot, event.notes) == ('Regen "Plus"', "L-1'; --", "two\nlines")


@pytest.mark.parametrize("typo", ["visit_date", "captured_at"])
def test_import_refuses_an_implausible_typed_date_before_storing(
        library: Library, patient_id: int, scalp_photos: list[Path], typo: str) -> None:
    if typo == "visit_date":
        item = importer.ImportItem(scalp_photos[0], visit_date=date(9999, 12, 31))
    else:
        item = importer.ImportItem(scalp_photos[0], captured_at=datetime(1, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="is not plausible"):
        run_task(importer.import_items(library, patient_id, [item]))
    assert library.store.hashes() == set()
    assert records.patient_record(library, patient_id).visits == ()


# ---- the same through the command line --------------------------------------------------------

def cli(library: Library, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(["--library", str(library.root), *args])
    except SystemExit as usage:  # argparse refuses the value before any command runs
        code = int(usage.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.mark.parametrize(("args", "code", "words"), [
    (["patient", "add", "--mrn", "C-1", "--name", "X", "--dob", "2023-02-30"], 2,
     "'2023-02-30' is not a date (YYYY-MM-DD)"),
    (["patient", "add", "--mrn", "C-1", "--name", "X", "--dob", "0000-01-01"], 2,
     "is not a date"),
    (["patient", "add", "--mrn", "C-1", "--name", "X", "--dob", "2999-01-01"], 1,
     "hairtrack: error: the date of birth 2999-01-01 is in the future"),
    (["patient", "add", "--mrn", "C-1", "--name", "   "], 1,
     "hairtrack: error: a patient needs a name"),
    (["patient", "add", "--mrn", "C-1", "--name", "caf\udce9"], 1, "not printable text"),
    (["treatment", "add", "--patient", "BAD-1", "--date", "0001-01-01", "--type", "prp"], 1,
     "the treatment date 0001-01-01 is not plausible"),
    (["treatment", "add", "--patient", "BAD-1", "--date", "2024-13-01", "--type", "prp"], 2,
     "is not a date"),
    (["import", "--patient", "BAD-1", "--visit-date", "9999-12-31", "PHOTO"], 1,
     "the visit date 9999-12-31 is not plausible"),
    (["import", "--patient", "BAD-1", "--visit-date", "0001-01-01", "PHOTO"], 1,
     "the visit date 0001-01-01 is not plausible"),
])
def test_cli_refusals_are_one_clear_line(library: Library, patient_id: int,
                                         scalp_photos: list[Path],
                                         capsys: pytest.CaptureFixture[str], args: list[str],
                                         code: int, words: str) -> None:
    args = [str(scalp_photos[0]) if a == "PHOTO" else a for a in args]
    got, out, err = cli(library, capsys, *args)
    assert (got, out) == (code, "")
    assert words in err
    assert [p.mrn for p in records.list_patients(library)] == ["BAD-1"]
    assert records.patient_record(library, patient_id).treatments == ()
    assert library.store.hashes() == set()  # nothing copied before the refusal


def test_cli_stores_quotes_and_emoji_faithfully(library: Library,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    name = "Zoë \"Z\" O'Neil 😀'); DROP TABLE patients;--"
    code, out, _ = cli(library, capsys, "patient", "add", "--mrn", " ÉMR-😀 ", "--name", name,
                       "--dob", "1980-02-29", "--json")
    assert code == 0
    added = json.loads(out)
    assert (added["mrn"], added["name"], added["date_of_birth"]) == ("ÉMR-😀", name,
                                                                     "1980-02-29")
    code, out, _ = cli(library, capsys, "patient", "list", "--search", "o'neil")
    assert code == 0 and name in out
