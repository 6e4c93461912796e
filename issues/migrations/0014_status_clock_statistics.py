"""On PostgreSQL, statistics of status and clock_started_at taken together (SQLite: none).

A submitted problem's clock has not started unless a department returned it: the two
columns depend on each other, and the planner, taking them as independent, expected a
tenth of the new problems. It then sorted all of them for the triage count instead of
reading the first 1,001 from problem_triage_new in order (issue 18). The most common
pairs (mcv) let it estimate "submitted, clock not started" as it is.
"""

from django.db import migrations

CREATE = """
CREATE STATISTICS IF NOT EXISTS problem_status_clock (mcv)
    ON status, clock_started_at FROM issues_problem;
ANALYZE issues_problem;
"""

DROP = "DROP STATISTICS IF EXISTS problem_status_clock;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("issues", "0013_text_search_grams")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
