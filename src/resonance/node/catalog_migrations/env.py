"""Alembic environment of a node's local catalog: runs on the URL given by resonance.node.catalog_schema."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from resonance.node.catalog_schema import target_metadata

config = context.config


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata(), render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
