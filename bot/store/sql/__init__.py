"""Records in SQL: one SQLAlchemy Core schema for SQLite (embedded) and PostgreSQL (production)."""
