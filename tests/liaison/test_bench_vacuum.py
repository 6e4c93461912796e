"""liaison.bench.vacuum_rolled_back: after a benchmark's rollback its tables are vacuumed
on PostgreSQL (rolled-back rows stay dead in them until then); never inside a
transaction, where VACUUM cannot run, nor on another database."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from issues.models import Problem, ProblemEvent
from liaison.bench import Rollback, vacuum_rolled_back
from liaison.models import Enterprise
from tests.conftest import require_service


def dead_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = %s", [table])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_rolled_back_rows_are_vacuumed_away():
    require_service(connection.vendor == "postgresql", "VACUUM is PostgreSQL's")
    table = Enterprise._meta.db_table
    try:
        with transaction.atomic():
            Enterprise.objects.bulk_create(
                [Enterprise(name=f"回滚企业{k}", credit_code=f"RB{k:016d}") for k in range(50)]
            )
            raise Rollback
    except Rollback:
        pass
    assert dead_rows(table) >= 50

    with CaptureQueriesContext(connection) as captured:
        vacuum_rolled_back(Enterprise, Problem, ProblemEvent)

    assert [q["sql"] for q in captured.captured_queries] == [
        'VACUUM (ANALYZE) "liaison_enterprise", "issues_problem", "issues_problemevent"'
    ]
    assert dead_rows(table) == 0


@pytest.mark.django_db
def test_inside_a_transaction_or_on_sqlite_nothing_is_done():
    with CaptureQueriesContext(connection) as captured:
        vacuum_rolled_back(Problem)
    assert captured.captured_queries == []
