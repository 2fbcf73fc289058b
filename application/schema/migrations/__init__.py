"""Alembic migrations for every Liasse table (`liasse db upgrade`)."""
