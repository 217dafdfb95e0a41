"""events by candidate and id

The index of events by candidate becomes one by candidate and id. The update writer asks, before
it writes its events, whether any event on its candidates (or on none) came after the newest it
saw when it read their statuses (app.status_feed.StatusWatch.read_is_current): with the id in
the index that is a short range per candidate, not every event the candidate ever had. A
candidate's feed, its events in id order, reads the same range.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_events_candidate_id_id", "events", ["candidate_id", "id"])
    op.drop_index("ix_events_candidate_id", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_candidate_id", "events", ["candidate_id"])
    op.drop_index("ix_events_candidate_id_id", table_name="events")
