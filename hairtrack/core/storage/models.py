"""SQLAlchemy 2.0 typed models: the database schema of a library.

Portable SQL only (SQLite by default, PostgreSQL for a clinic server): enums
are stored as short strings, times as timezone-aware UTC, JSON as JSON.
Every schema change needs an Alembic migration in `migrations/versions`.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    declared_attr,
    mapped_column,
    relationship,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; SQLite drops tzinfo, so restore it on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; HairTrack stores aware UTC times only")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON,  # noqa: RUF012
                           list[Any]: JSON}


class Trashable:
    """Rows a clinician can delete: they move to the trash until purged.

    `soft_delete.py` hides rows with `deleted_at` set from every ORM query unless
    the query asks for `include_deleted`.
    """

    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_by: Mapped[str | None] = mapped_column(String(200), default=None)


class Versioned:
    """Rows people edit: every ORM UPDATE checks and bumps `version` (migration 0003).

    An UPDATE that finds another version raises StaleDataError, which
    `Library.session()` reports as "changed by someone else"; services also
    compare the version a form was opened with before they write.
    """

    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class PatientRow(Versioned, Trashable, Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mrn: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1), default="U")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    visits: Mapped[list[VisitRow]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", order_by="VisitRow.visited_at")
    treatments: Mapped[list[TreatmentEventRow]] = relationship(
        back_populates="patient", cascade="all, delete-orphan")


class TreatmentTypeRow(Base):
    """The extensible list of treatment types; built-ins are seeded by migration."""

    __tablename__ = "treatment_types"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)


class TreatmentEventRow(Versioned, Base):
    __tablename__ = "treatment_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"),
                                            index=True)
    date: Mapped[date] = mapped_column(Date)
    type_code: Mapped[str] = mapped_column(ForeignKey("treatment_types.code"))
    product: Mapped[str] = mapped_column(String(200), default="")
    lot: Mapped[str] = mapped_column(String(100), default="")
    dose: Mapped[str] = mapped_column(String(100), default="")
    device_settings: Mapped[str] = mapped_column(String(300), default="")
    clinician: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[PatientRow] = relationship(back_populates="treatments")
    type: Mapped[TreatmentTypeRow] = relationship()


class VisitRow(Versioned, Trashable, Base):
    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"),
                                            index=True)
    visited_at: Mapped[datetime] = mapped_column()
    notes: Mapped[str] = mapped_column(Text, default="")

    patient: Mapped[PatientRow] = relationship(back_populates="visits")
    photos: Mapped[list[PhotoRow]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="PhotoRow.captured_at")


class PhotoRow(Versioned, Trashable, Base):
    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    view: Mapped[str] = mapped_column(String(32))
    captured_at: Mapped[datetime] = mapped_column()
    capture_source: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(32))
    original_name: Mapped[str] = mapped_column(String(500))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    visit: Mapped[VisitRow] = relationship(back_populates="photos")


class ViewSettingsRow(Versioned, Base):
    """Per patient and view: the chosen baseline photo and the drawn region."""

    __tablename__ = "view_settings"
    __table_args__ = (UniqueConstraint("patient_id", "view"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    view: Mapped[str] = mapped_column(String(32))
    baseline_photo_id: Mapped[int | None] = mapped_column(
        ForeignKey("photos.id", ondelete="SET NULL"))
    region: Mapped[list[Any] | None] = mapped_column(JSON)  # [[x, y], ...] on the baseline
    region_photo_id: Mapped[int | None] = mapped_column(
        ForeignKey("photos.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MeasurementRow(Base):
    """One photo's analysis against its baseline, with what produced it.

    `cache_key` hashes (photo, baseline, region, manual landmarks, algorithm
    versions): an unchanged key means the stored numbers are still valid.
    """

    __tablename__ = "measurements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"),
                                          unique=True)
    baseline_photo_id: Mapped[int | None] = mapped_column(
        ForeignKey("photos.id", ondelete="SET NULL"))
    cache_key: Mapped[str] = mapped_column(String(64))
    aligned: Mapped[bool] = mapped_column(Boolean, default=False)
    alignment_model: Mapped[str] = mapped_column(String(32), default="none")
    matrix: Mapped[list[Any] | None] = mapped_column(JSON)
    quality: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    alignment_reason: Mapped[str | None] = mapped_column(Text)
    coverage: Mapped[float | None] = mapped_column(Float)
    coverage_confidence: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    roi_pixels: Mapped[int | None] = mapped_column(Integer)
    roi_automatic: Mapped[bool] = mapped_column(Boolean, default=True)
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    algorithm_version: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ManualAlignmentRow(Base):
    """Landmark pairs a clinician clicked; they override automatic alignment."""

    __tablename__ = "manual_alignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"),
                                          unique=True)
    baseline_photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"))
    reference_points: Mapped[list[Any]] = mapped_column(JSON)
    moving_points: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditRow(Base):
    """One entry of the append-only, hash-chained audit log.

    No foreign keys: the log must outlive the rows it talks about. `hash` is
    SHA-256 over the entry's fields and the previous entry's hash (audit.py).
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    patient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    summary: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The chain's tip, one row: updating it first serialises writers on every database."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
