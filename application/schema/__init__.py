"""The database schema of the whole product: `all_models` imports every layer's models so
`Base.metadata` is complete; `migrate` drives the Alembic migrations in `migrations/`."""
