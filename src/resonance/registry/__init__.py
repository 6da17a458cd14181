"""The action's registry: SQLAlchemy models, Alembic migrations, vocabularies and the quota rules."""
