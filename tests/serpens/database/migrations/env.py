"""Alembic env.py of the sample migrations: one line, as the docs show."""

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

from serpens.database.alembic import run_migrations

# The models the migrations below should produce (for ``alembic check``/autogenerate).
metadata = MetaData()
Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("email", String(200), nullable=True),
)
Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
)

run_migrations(target_metadata=metadata)
