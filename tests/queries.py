"""Pinned query counts that depend on the database."""

from __future__ import annotations

from django.db import connection

# The problem page's load runs in a block that plans its joins in the order written
# (liaison.pages.joins_planned_as_written), on PostgreSQL only: its SET before and its
# SET back after, in production as in a test's transaction.
JOIN_ORDER = 2 if connection.vendor == "postgresql" else 0
