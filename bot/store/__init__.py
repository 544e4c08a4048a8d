"""Storage: SQLAlchemy 2 (async) models, sessions, Alembic migrations and query helpers."""
