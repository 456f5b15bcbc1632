"""Initial schema: patients, treatments, visits, photos, per-view settings, measurements.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Migrations are frozen history: they never import the live models.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BUILTIN_TYPES = [
    ("exosome-injection", "Exosome injection"),
    ("exosome-microneedling", "Exosome microneedling"),
    ("prp", "PRP"),
    ("cytokine-rich-plasma", "Cytokine-rich plasma"),
    ("stem-cell", "Stem-cell therapy"),
    ("topical-finasteride", "Topical finasteride"),
    ("oral-finasteride", "Oral finasteride"),
    ("minoxidil", "Minoxidil"),
    ("fue-transplant", "FUE transplant"),
    ("low-level-laser", "Low-level laser"),
    ("other", "Other"),
]


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mrn", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("mrn", name=op.f("uq_patients_mrn")),
    )
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patients_name"), ["name"], unique=False)

    op.create_table(
        "treatment_types",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_treatment_types")),
    )
    op.create_table(
        "treatment_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("type_code", sa.String(length=64), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("lot", sa.String(length=100), nullable=False),
        sa.Column("dose", sa.String(length=100), nullable=False),
        sa.Column("device_settings", sa.String(length=300), nullable=False),
        sa.Column("clinician", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_treatment_events_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["type_code"],
            ["treatment_types.code"],
            name=op.f("fk_treatment_events_type_code_treatment_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_events")),
    )
    with op.batch_alter_table("treatment_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_treatment_events_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_visits_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visits_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("view", sa.String(length=32), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capture_source", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("original_name", sa.String(length=500), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_photos_visit_id_visits"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
        sa.UniqueConstraint("sha256", name=op.f("uq_photos_sha256")),
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photos_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "manual_alignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("baseline_photo_id", sa.Integer(), nullable=False),
        sa.Column("reference_points", sa.JSON(), nullable=False),
        sa.Column("moving_points", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["baseline_photo_id"],
            ["photos.id"],
            name=op.f("fk_manual_alignments_baseline_photo_id_photos"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_manual_alignments_photo_id_photos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_alignments")),
        sa.UniqueConstraint("photo_id", name=op.f("uq_manual_alignments_photo_id")),
    )
    op.create_table(
        "measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("baseline_photo_id", sa.Integer(), nullable=True),
        sa.Column("cache_key", sa.String(length=64), nullable=False),
        sa.Column("aligned", sa.Boolean(), nullable=False),
        sa.Column("alignment_model", sa.String(length=32), nullable=False),
        sa.Column("matrix", sa.JSON(), nullable=True),
        sa.Column("quality", sa.JSON(), nullable=True),
        sa.Column("alignment_reason", sa.Text(), nullable=True),
        sa.Column("coverage", sa.Float(), nullable=True),
        sa.Column("coverage_confidence", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("roi_pixels", sa.Integer(), nullable=True),
        sa.Column("roi_automatic", sa.Boolean(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("algorithm_version", sa.String(length=64), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["baseline_photo_id"],
            ["photos.id"],
            name=op.f("fk_measurements_baseline_photo_id_photos"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_measurements_photo_id_photos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurements")),
        sa.UniqueConstraint("photo_id", name=op.f("uq_measurements_photo_id")),
    )
    op.create_table(
        "view_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("view", sa.String(length=32), nullable=False),
        sa.Column("baseline_photo_id", sa.Integer(), nullable=True),
        sa.Column("region", sa.JSON(), nullable=True),
        sa.Column("region_photo_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["baseline_photo_id"],
            ["photos.id"],
            name=op.f("fk_view_settings_baseline_photo_id_photos"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_view_settings_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_photo_id"],
            ["photos.id"],
            name=op.f("fk_view_settings_region_photo_id_photos"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_view_settings")),
        sa.UniqueConstraint("patient_id", "view", name=op.f("uq_view_settings_patient_id")),
    )

    treatment_types = sa.table(
        "treatment_types",
        sa.column("code", sa.String),
        sa.column("label", sa.String),
        sa.column("builtin", sa.Boolean),
    )
    op.bulk_insert(
        treatment_types,
        [{"code": code, "label": label, "builtin": True} for code, label in BUILTIN_TYPES],
    )


def downgrade() -> None:
    op.drop_table("view_settings")
    op.drop_table("measurements")
    op.drop_table("manual_alignments")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photos_visit_id"))

    op.drop_table("photos")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visits_patient_id"))

    op.drop_table("visits")
    with op.batch_alter_table("treatment_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatment_events_patient_id"))

    op.drop_table("treatment_events")
    op.drop_table("treatment_types")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patients_name"))

    op.drop_table("patients")
