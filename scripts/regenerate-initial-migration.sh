#!/usr/bin/env bash
# Until the first production release Liasse keeps ONE initial migration, regenerated from the
# models with this script (afterwards: `liasse db revision -m ...` adds migrations on top).
# The teams.lead_id foreign key closes a cycle with staff_users.team_id, so it is added last.
set -e
cd "$(dirname "$0")/.."
rm -f application/schema/migrations/versions/*_initial_schema.py /tmp/gen.db
.venv/bin/python -c "
from application.schema import migrate
migrate.revision('sqlite:////tmp/gen.db', 'initial schema')
" | tail -1
f=$(ls application/schema/migrations/versions/*_initial_schema.py)
python3 - "$f" <<'PY'
import sys, re
p = sys.argv[1]
s = open(p).read()
fk = re.search(r"    sa\.ForeignKeyConstraint\(\['lead_id'\], \['staff_users\.id'\].*use_alter=True\),\n", s)
assert fk, "teams.lead_id FK not found"
s = s.replace(fk.group(0), "")
marker = "    # ### end Alembic commands ###"
i = s.index(marker)
s = s[:i] + """    # teams.lead_id -> staff_users closes a cycle (staff_users.team_id -> teams): added last.
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f('fk_teams_lead_id_staff_users'), 'staff_users', ['lead_id'], ['id'],
            ondelete='SET NULL',
        )
""" + s[i:]
open(p, "w").write(s)
PY
.venv/bin/ruff check --fix -q "$f" || true
.venv/bin/ruff check "$f"
