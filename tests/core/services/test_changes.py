"""The change counter and telling this program's changes from other desktops'."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import update

from hairtrack.core.library import Library
from hairtrack.core.services import changes, records
from hairtrack.core.services.changes import OwnWrites
from hairtrack.core.storage.audit import Action
from hairtrack.core.storage.models import AuditHeadRow


@pytest.fixture
def theirs(library: Library) -> Iterator[Library]:
    """The same database opened by a second program (another desktop)."""
    library.actor = "desk-0"
    other = Library.open(library.root, library.engine.url.render_as_string(hide_password=False))
    other.actor = "alice (desk 2)"
    yield other
    other.close()


def test_the_marker_counts_every_committed_change(library: Library) -> None:
    start = changes.change_marker(library)
    patient = records.add_patient(library, "CH-1", "Carl Change")
    assert changes.change_marker(library) == start + 1
    with pytest.raises(records.Conflict):
        records.add_patient(library, "CH-1", "Same MRN")  # refused: nothing committed
    assert changes.change_marker(library) == start + 1
    records.update_patient(library, patient.id, mrn="CH-1", name="Carl Changed",
                           date_of_birth=None, sex=patient.sex, notes="")
    assert changes.change_marker(library) == start + 2


def test_poll_lists_the_entries_since_a_marker(library: Library, theirs: Library) -> None:
    seen = changes.change_marker(library)
    assert changes.poll(library, seen) == changes.Changes(seen, seen, ())
    patient = records.add_patient(theirs, "CH-2", "Cora Change")
    records.add_treatment(theirs, patient.id, records.TreatmentFields(date(2024, 5, 1), "prp"))
    found = changes.poll(library, seen)
    assert found.moved and found.complete and found.marker == seen + 2
    assert [e.action for e in found.entries] == ["create", "create"]
    assert found.actors == ("alice (desk 2)",)
    assert found.patient_ids == {patient.id} and found.touches(patient.id)
    assert [e.seq for e in found.entries] == [seen + 1, seen + 2]
    limited = changes.poll(library, seen, limit=1)
    assert len(limited.entries) == 1 and not limited.complete  # views then reload everything
    theirs.record(Action.EXPORT, "report", patient.id, "exported a report", patient.id)
    exported = changes.poll(library, found.marker)
    assert exported.moved and exported.complete and exported.entries == ()  # nothing to show


def test_too_many_entries_or_a_counter_gone_back_mean_anything_changed(
        library: Library) -> None:
    seen = changes.change_marker(library)
    for n in range(3):
        records.add_patient(library, f"CH-3{n}", "Many")
    truncated = changes.poll(library, seen, limit=2)
    assert not truncated.complete and len(truncated.entries) == 2
    assert truncated.touches(123456)  # an incomplete list cannot rule any patient out
    with library.session() as session:  # e.g. a backup restored under a running desktop
        session.execute(update(AuditHeadRow).values(seq=seen))
    back = changes.poll(library, seen + 3)
    assert back.marker == seen and not back.complete and back.moved


def test_own_writes_are_told_apart_from_another_desktops(library: Library,
                                                         theirs: Library) -> None:
    own = OwnWrites(library)
    try:
        seen = changes.change_marker(library)
        mine = records.add_patient(library, "CH-4", "Mine")
        records.add_patient(theirs, "CH-5", "Theirs")
        with pytest.raises(records.Conflict):  # rolled back: its number is not kept
            records.add_patient(library, "CH-5", "Clash")
        records.update_patient(library, mine.id, mrn="CH-4", name="Mine, edited",
                               date_of_birth=None, sex=mine.sex, notes="",
                               expected_version=mine.version)
        found = changes.poll(library, seen)
        assert len(found.entries) == 3
        foreign = own.foreign(found)
        assert [e.summary for e in foreign.entries] == ["added patient Theirs (MRN CH-5)"]
        assert foreign.actors == ("alice (desk 2)",)
        assert own._seqs == set()  # each poll's numbers are classified once, then forgotten
    finally:
        own.close()
    records.add_patient(library, "CH-6", "After close")
    assert own.foreign(changes.poll(library, seen)).entries[-1].summary.endswith("CH-6)")


def test_a_number_reported_by_a_child_counts_only_with_our_actor(library: Library,
                                                                 theirs: Library) -> None:
    heard: list[int] = []
    child = OwnWrites(theirs, on_write=heard.append)  # e.g. the GUI's analysis process
    own = OwnWrites(library)
    try:
        seen = changes.change_marker(library)
        records.add_patient(theirs, "CH-7", "Child")
        assert heard == [seen + 1]
        own.add(heard)
        found = changes.poll(library, seen)
        assert own.foreign(found).entries == found.entries  # another actor: not ours
        library.actor = theirs.actor
        own = OwnWrites(library)
        own.add(heard)
        assert own.foreign(found).entries == ()
    finally:
        child.close()
        own.close()
