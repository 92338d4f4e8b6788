"""SQLAlchemy 2 implementation of the engine's storage ports, with Alembic migrations."""
