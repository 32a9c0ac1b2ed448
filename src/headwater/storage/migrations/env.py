"""alembic's environment for the instance database: runs on the connection headwater hands it.

`headwater instance migrate` (storage/database.py:migrate) passes an open connection in
`config.attributes["connection"]`; revisions live in `storage/revisions/`. To add one:
change storage/schema.py, bump `SCHEMA_VERSION`, and write the next `rNNNN_*.py` revision.
"""

from __future__ import annotations

from alembic import context

from headwater.storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "headwater's migrations run through `headwater instance migrate`, which passes the "
        "instance's database connection; do not run alembic on this directory directly."
    )
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
