"""Pinned query counts that depend on the database."""

from __future__ import annotations

from django.db import connection

# The problem page's load runs in a block that plans its joins in the order written
# (liaison.pages.joins_planned_as_written), on PostgreSQL only: the block's SET LOCAL,
# and, inside the test's transaction, its SAVEPOINT, ROLLBACK TO SAVEPOINT and RELEASE
# SAVEPOINT. In production the block is a transaction of its own, whose BEGIN and
# ROLLBACK Django does not count: one query more than on SQLite.
JOIN_ORDER = 4 if connection.vendor == "postgresql" else 0
