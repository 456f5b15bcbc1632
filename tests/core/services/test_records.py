"""Patient-record use cases: patients, treatment types and events, visits, photos, baselines."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from hairtrack.core.domain import Photo, Sex, View
from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import importer, records, trash
from hairtrack.core.services.records import Conflict, NotFound, TreatmentFields

SCALP = Path(__file__).resolve().parents[2] / "data" / "scalp-photos"
UTC = timezone.utc


def day(month: int, d: int, hour: int = 12) -> datetime:
    return datetime(2024, month, d, hour, tzinfo=UTC)


def import_photo(lib: Library, patient_id: int, index: int, when: datetime,
                 view: View = View.VERTEX, visit_id: int | None = None) -> Photo:
    item = importer.ImportItem(sorted(SCALP.glob("*.jpg"))[index], view=view, visit_id=visit_id,
                               captured_at=when)
    report = run_task(importer.import_items(lib, patient_id, [item]))
    assert not report.rejected, report.rejected
    (done,) = report.imported
    return done.photo


def photos_by_id(lib: Library, patient_id: int) -> dict[int, Photo]:
    return {p.id: p for p in records.patient_record(lib, patient_id).photos}


# ---- patients ---------------------------------------------------------------------------------

def test_add_and_list_patients(library: Library) -> None:
    added = records.add_patient(library, "  MRN-2 ", " Zoe Adams ", date(1975, 4, 1), Sex.FEMALE,
                                "allergic to latex")
    assert (added.mrn, added.name, added.sex) == ("MRN-2", "Zoe Adams", Sex.FEMALE)
    assert added.created_at.tzinfo is not None
    records.add_patient(library, "MRN-1", "adam Young")
    assert [p.name for p in records.list_patients(library)] == ["adam Young", "Zoe Adams"]
    assert records.patient_by_mrn(library, "MRN-2") == added


def test_mrn_is_unique(library: Library) -> None:
    records.add_patient(library, "MRN-1", "First")
    with pytest.raises(Conflict, match="MRN-1"):
        records.add_patient(library, "MRN-1", "Second")
    with pytest.raises(Conflict):
        records.add_patient(library, " MRN-1 ", "Second with spaces")
    assert len(records.list_patients(library)) == 1


@pytest.mark.parametrize(("mrn", "name"), [("", "No MRN"), ("M-1", "  ")])
def test_patient_needs_mrn_and_name(library: Library, mrn: str, name: str) -> None:
    with pytest.raises(ValueError, match="needs"):
        records.add_patient(library, mrn, name)


def test_search_by_name_and_mrn_case_insensitively(library: Library) -> None:
    records.add_patient(library, "HT-0042", "María Gómez")
    records.add_patient(library, "HT-0100", "John SMITH")
    records.add_patient(library, "XY-7", "Anne Smithers")
    assert {p.mrn for p in records.list_patients(library, "smith")} == {"HT-0100", "XY-7"}
    assert [p.mrn for p in records.list_patients(library, "ht-004")] == ["HT-0042"]
    assert [p.mrn for p in records.list_patients(library, "  JOHN ")] == ["HT-0100"]
    assert records.list_patients(library, "nobody") == []
    assert len(records.list_patients(library, "")) == 3


def test_update_patient(library: Library) -> None:
    patient = records.add_patient(library, "U-1", "Old Name")
    records.add_patient(library, "U-2", "Other")
    updated = records.update_patient(library, patient.id, mrn="U-1b", name="New Name",
                                     date_of_birth=date(1990, 1, 2), sex=Sex.MALE, notes="n")
    assert (updated.id, updated.mrn, updated.name, updated.date_of_birth, updated.sex,
            updated.notes) == (patient.id, "U-1b", "New Name", date(1990, 1, 2), Sex.MALE, "n")
    assert records.patient_by_mrn(library, "U-1b") == updated
    with pytest.raises(NotFound):
        records.patient_by_mrn(library, "U-1")
    with pytest.raises(Conflict):
        records.update_patient(library, patient.id, mrn="U-2", name="X", date_of_birth=None,
                               sex=Sex.UNKNOWN, notes="")
    with pytest.raises(ValueError, match="needs a name"):
        records.update_patient(library, patient.id, mrn="U-1b", name=" ", date_of_birth=None,
                               sex=Sex.UNKNOWN, notes="")
    with pytest.raises(NotFound):
        records.update_patient(library, 999, mrn="Z", name="Z", date_of_birth=None,
                               sex=Sex.UNKNOWN, notes="")
    assert records.patient_by_mrn(library, "U-1b").name == "New Name"


# ---- treatment types and events ---------------------------------------------------------------

def test_treatment_type_by_code_or_label(library: Library) -> None:
    patient = records.add_patient(library, "T-1", "Tina")
    by_code = records.add_treatment(library, patient.id,
                                    TreatmentFields(date(2024, 1, 5), "exosome-microneedling"))
    by_label = records.add_treatment(library, patient.id,
                                     TreatmentFields(date(2024, 2, 5), "  prp "))
    by_label_case = records.add_treatment(library, patient.id,
                                          TreatmentFields(date(2024, 3, 5), "stem-CELL therapy"))
    assert by_code.type_code == "exosome-microneedling"
    assert by_code.type_label == "Exosome microneedling"
    assert (by_label.type_code, by_label_case.type_code) == ("prp", "stem-cell")


def test_unknown_treatment_type_lists_the_known_ones(library: Library) -> None:
    patient = records.add_patient(library, "T-1", "Tina")
    with pytest.raises(NotFound) as caught:
        records.add_treatment(library, patient.id, TreatmentFields(date(2024, 1, 5), "leeches"))
    message = str(caught.value)
    assert "leeches" in message
    for code in ("exosome-injection", "prp", "minoxidil", "other"):
        assert code in message
    assert records.patient_record(library, patient.id).treatments == ()


def test_add_custom_treatment_type(library: Library) -> None:
    added = records.add_treatment_type(library, "  Dutasteride   mesotherapy ")
    assert (added.code, added.label, added.builtin) == ("dutasteride-mesotherapy",
                                                        "Dutasteride   mesotherapy", False)
    assert len(records.treatment_types(library)) == 12
    patient = records.add_patient(library, "T-1", "Tina")
    event = records.add_treatment(library, patient.id,
                                  TreatmentFields(date(2024, 1, 5), "dutasteride-mesotherapy"))
    assert event.type_code == "dutasteride-mesotherapy"


@pytest.mark.parametrize("label", ["PRP", "Minoxidil", "stem-cell", "Stem-cell therapy", ""])
def test_custom_type_cannot_shadow_an_existing_one(library: Library, label: str) -> None:
    with pytest.raises((Conflict, ValueError)):
        records.add_treatment_type(library, label)
    assert len(records.treatment_types(library)) == 11


def test_treatment_add_update_delete(library: Library) -> None:
    patient = records.add_patient(library, "T-1", "Tina")
    fields = TreatmentFields(date(2024, 1, 5), "exosome-injection", product="ExoX", lot="L1",
                             dose="2 ml", device_settings="", clinician="Dr A", notes="left")
    event = records.add_treatment(library, patient.id, fields)
    assert (event.patient_id, event.product, event.lot, event.dose, event.clinician,
            event.notes) == (patient.id, "ExoX", "L1", "2 ml", "Dr A", "left")
    updated = records.update_treatment(library, event.id, TreatmentFields(
        date(2024, 1, 6), "Exosome microneedling", device_settings="1.5 mm"))
    assert (updated.id, updated.date, updated.type_code, updated.device_settings,
            updated.product) == (event.id, date(2024, 1, 6), "exosome-microneedling", "1.5 mm",
                                 "")
    assert records.patient_record(library, patient.id).treatments == (updated,)
    records.delete_treatment(library, event.id)
    assert records.patient_record(library, patient.id).treatments == ()
    with pytest.raises(NotFound):
        records.delete_treatment(library, event.id)
    with pytest.raises(NotFound):
        records.add_treatment(library, 999, fields)


def test_treatments_are_listed_by_date(library: Library) -> None:
    patient = records.add_patient(library, "T-1", "Tina")
    for d in (date(2024, 3, 1), date(2024, 1, 1), date(2024, 2, 1)):
        records.add_treatment(library, patient.id, TreatmentFields(d, "minoxidil"))
    dates = [e.date for e in records.patient_record(library, patient.id).treatments]
    assert dates == sorted(dates)


# ---- visits -----------------------------------------------------------------------------------

def test_visit_add_update_delete(library: Library) -> None:
    patient = records.add_patient(library, "V-1", "Vic")
    plus2 = timezone(timedelta(hours=2))
    visit = records.add_visit(library, patient.id, datetime(2024, 5, 1, 10, tzinfo=plus2), "v1")
    assert visit.visited_at == day(5, 1, 8)
    assert visit.visited_at.utcoffset() == timedelta(0)
    later = records.update_visit(library, visit.id, day(6, 1), "moved")
    assert (later.id, later.visited_at, later.notes, later.photo_count) == (visit.id, day(6, 1),
                                                                            "moved", 0)
    with pytest.raises(ValueError, match="timezone"):
        records.update_visit(library, visit.id, datetime(2024, 6, 1, 12), "naive")
    with pytest.raises(ValueError, match="timezone"):
        records.add_visit(library, patient.id, datetime(2024, 6, 1, 12))
    records.delete_visit(library, visit.id)
    assert records.patient_record(library, patient.id).visits == ()
    with pytest.raises(NotFound):
        records.delete_visit(library, visit.id)
    with pytest.raises(NotFound):
        records.add_visit(library, 999, day(1, 1))


def test_deleting_a_visit_with_photos_moves_both_to_the_trash(library: Library) -> None:
    patient = records.add_patient(library, "V-1", "Vic")
    photo = import_photo(library, patient.id, 0, day(5, 1))
    records.delete_visit(library, photo.visit_id)
    record = records.patient_record(library, patient.id)
    assert (record.visits, record.photos) == ((), ())
    assert photo.sha256 in library.store.hashes()  # the evidence is kept until purged
    (entry,) = trash.list_trash(library)
    assert (entry.kind, entry.id, entry.photo_count) == (trash.Kind.VISIT, photo.visit_id, 1)
    trash.restore(library, entry.kind, entry.id)
    record = records.patient_record(library, patient.id)
    assert [p.id for p in record.photos] == [photo.id]
    assert [v.photo_count for v in record.visits] == [1]


def test_set_photo_view(library: Library) -> None:
    patient = records.add_patient(library, "P-1", "Pat")
    photo = import_photo(library, patient.id, 0, day(5, 1))
    records.set_photo_view(library, photo.id, View.FRONTAL)
    assert photos_by_id(library, patient.id)[photo.id].view is View.FRONTAL
    with pytest.raises(NotFound):
        records.set_photo_view(library, 999, View.FRONTAL)


def test_move_photo_within_a_patient(library: Library) -> None:
    patient = records.add_patient(library, "P-1", "Pat")
    photo = import_photo(library, patient.id, 0, day(5, 1))
    other_visit = records.add_visit(library, patient.id, day(6, 1))
    records.move_photo(library, photo.id, other_visit.id)
    assert photos_by_id(library, patient.id)[photo.id].visit_id == other_visit.id
    counts = {v.id: v.photo_count for v in records.patient_record(library, patient.id).visits}
    assert counts == {photo.visit_id: 0, other_visit.id: 1}


def test_move_photo_across_patients_is_refused(library: Library) -> None:
    alice = records.add_patient(library, "P-1", "Alice")
    bob = records.add_patient(library, "P-2", "Bob")
    photo = import_photo(library, alice.id, 0, day(5, 1))
    bobs_visit = records.add_visit(library, bob.id, day(5, 1))
    with pytest.raises(Conflict, match="same patient"):
        records.move_photo(library, photo.id, bobs_visit.id)
    assert photos_by_id(library, alice.id)[photo.id].visit_id == photo.visit_id
    assert records.patient_record(library, bob.id).photos == ()
    with pytest.raises(NotFound):
        records.move_photo(library, photo.id, 999)


def test_default_baseline_is_the_earliest_photo_of_each_view(library: Library) -> None:
    patient = records.add_patient(library, "B-1", "Bea")
    late_vertex = import_photo(library, patient.id, 0, day(6, 1))
    early_vertex = import_photo(library, patient.id, 1, day(3, 1))
    frontal = import_photo(library, patient.id, 2, day(7, 1), View.FRONTAL)
    photos = photos_by_id(library, patient.id)
    assert photos[early_vertex.id].is_baseline
    assert not photos[late_vertex.id].is_baseline
    assert photos[frontal.id].is_baseline  # each view has its own baseline
    assert sum(p.is_baseline for p in photos.values()) == 2


def test_set_baseline(library: Library) -> None:
    patient = records.add_patient(library, "B-1", "Bea")
    first = import_photo(library, patient.id, 0, day(3, 1))
    second = import_photo(library, patient.id, 1, day(6, 1))
    frontal = import_photo(library, patient.id, 2, day(7, 1), View.FRONTAL)
    records.set_baseline(library, second.id)
    photos = photos_by_id(library, patient.id)
    assert [i for i, p in photos.items() if p.is_baseline] == sorted([second.id, frontal.id])
    records.set_baseline(library, first.id)  # changing it back
    photos = photos_by_id(library, patient.id)
    assert photos[first.id].is_baseline and not photos[second.id].is_baseline


def test_a_photo_changing_view_stops_being_the_old_views_baseline(library: Library) -> None:
    patient = records.add_patient(library, "B-1", "Bea")
    first = import_photo(library, patient.id, 0, day(3, 1))
    second = import_photo(library, patient.id, 1, day(6, 1))
    frontal = import_photo(library, patient.id, 2, day(2, 1), View.FRONTAL)
    records.set_baseline(library, second.id)
    records.set_photo_view(library, second.id, View.FRONTAL)
    photos = photos_by_id(library, patient.id)
    assert photos[first.id].is_baseline  # the vertex view falls back to its earliest photo
    assert photos[frontal.id].is_baseline  # frontal keeps its earliest photo
    assert not photos[second.id].is_baseline
    assert sum(p.is_baseline for p in photos.values()) == 2
