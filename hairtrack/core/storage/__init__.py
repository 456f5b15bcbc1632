"""Persistence: SQLAlchemy models, migrations, repositories, the photo store."""
