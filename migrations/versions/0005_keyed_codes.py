"""Join and observer codes stored under a key: each stored unkeyed digest becomes its HMAC under the
installation's code key (facilitator/services/tokens.py), which `facilitator db upgrade` passes in.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
from alembic import context, op
import sqlalchemy as sa

from facilitator.services.tokens import rekey

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = (("exercises", "id", "observer_code_hash"), ("seats", "id", "join_code_hash"))


def _rewrite(change) -> None:
    connection = op.get_bind()
    for name, key_column, column in TABLES:
        table = sa.table(name, sa.column(key_column), sa.column(column, sa.String))
        rows = connection.execute(sa.select(table.c[key_column], table.c[column])).all()
        if not rows:
            continue
        key = context.config.attributes.get("code_key")
        if key is None:
            raise RuntimeError("Codes are stored here: run this migration through `facilitator db upgrade`, "
                               "which knows the installation's secret key.")
        for row_id, stored in rows:
            connection.execute(sa.update(table).where(table.c[key_column] == row_id)
                               .values({column: change(stored, key)}))


def upgrade():
    _rewrite(rekey)


def downgrade():
    # A keyed digest cannot be turned back into the unkeyed one: the codes stop working (re-issue them).
    _rewrite(lambda stored, key: "unkeyed-" + stored[:56])
