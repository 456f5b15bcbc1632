"""The patient list and the patient dialog, driven through the real main window."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt

from hairtrack.core.domain import Sex
from hairtrack.core.services import records
from hairtrack.ui.patient_dialog import PatientDialog


def _add(library, mrn: str, name: str) -> None:
    records.add_patient(library, mrn, name, date(1980, 1, 2), Sex.FEMALE)


def test_search_filters_by_name_and_mrn_and_counts(qtbot, library, make_window):
    for mrn, name in (("A-100", "Berg, Anna"), ("B-200", "Costa, Bruno"),
                      ("C-300", "Berger, Carla"), ("D-400", "Dahl, Dora")):
        _add(library, mrn, name)
    window = make_window(library)
    page = window.patients
    assert window.stack.currentWidget() is page
    assert page.count.text() == "4 patients"

    qtbot.keyClicks(page.search, "berg")
    assert [p.name for p in page.visible_patients()] == ["Berg, Anna", "Berger, Carla"]
    assert page.count.text() == "2 of 4 patients"

    page.search.clear()
    qtbot.keyClicks(page.search, "b-2")
    assert [p.mrn for p in page.visible_patients()] == ["B-200"]

    page.search.clear()
    qtbot.keyClicks(page.search, "carla berger")  # every word, any order
    assert [p.mrn for p in page.visible_patients()] == ["C-300"]

    page.search.clear()
    qtbot.keyClicks(page.search, "nobody")
    assert page.visible_patients() == []
    assert page.count.text() == "0 of 4 patients"
    assert page.empty.isVisibleTo(page)


def test_add_patient_through_dialog_opens_workspace(qtbot, library, make_window):
    window = make_window(library)
    assert window.stack.currentWidget() is window.welcome  # empty library
    qtbot.mouseClick(window.welcome.new_button, Qt.MouseButton.LeftButton)
    dialog = window.dialog
    assert isinstance(dialog, PatientDialog)
    qtbot.keyClicks(dialog.mrn, "MRN-77")
    qtbot.keyClicks(dialog.name, "Novak, Petra")
    dialog.sex.setCurrentIndex(dialog.sex.findData(Sex.FEMALE.value))
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()

    saved = records.list_patients(library)
    assert [(p.mrn, p.name, p.sex) for p in saved] == [("MRN-77", "Novak, Petra", Sex.FEMALE)]
    assert saved[0].date_of_birth is None  # "Known" was left unticked
    assert window.stack.currentWidget() is window.workspace
    assert window.workspace.name.text() == "Novak, Petra"
    assert "MRN MRN-77" in window.workspace.meta.text()
    assert window.patients.count.text() == "1 patient"


def test_duplicate_mrn_keeps_dialog_open_with_reason(qtbot, library, make_window):
    _add(library, "X-1", "First, Patient")
    window = make_window(library)
    window.new_patient()
    dialog = window.dialog
    assert isinstance(dialog, PatientDialog)
    dialog.mrn.setText("X-1")
    dialog.name.setText("Second, Patient")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert dialog.isVisible()
    assert dialog.error.isVisibleTo(dialog)
    assert "X-1" in dialog.error.text()
    assert dialog.isEnabled()  # the user can correct the MRN
    assert len(records.list_patients(library)) == 1


def test_missing_name_is_refused_before_saving(qtbot, library, make_window):
    window = make_window(library)
    window.new_patient()
    dialog = window.dialog
    dialog.mrn.setText("Y-1")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert "name" in dialog.error.text()
    assert records.list_patients(library) == []


def test_edit_patient_updates_list_and_header(qtbot, library, make_window):
    _add(library, "E-1", "Old, Name")
    window = make_window(library)
    page = window.patients
    assert page.select(records.list_patients(library)[0].id)
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    dialog = window.dialog
    assert isinstance(dialog, PatientDialog)
    assert dialog.mrn.text() == "E-1"
    assert dialog.dob_known.isChecked()
    dialog.name.setText("New, Name")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert [p.name for p in page.visible_patients()] == ["New, Name"]
    assert records.list_patients(library)[0].date_of_birth == date(1980, 1, 2)


def test_enter_in_table_opens_the_selected_patient(qtbot, library, make_window):
    _add(library, "F-1", "Field, Fay")
    window = make_window(library)
    window.patients.table.setFocus()
    window.patients.select(records.list_patients(library)[0].id)
    qtbot.keyClick(window.patients.table, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.workspace
    assert window.workspace.patient is not None
    assert window.workspace.patient.mrn == "F-1"
