"""On PostgreSQL, the audit tables refuse UPDATE and DELETE (SQLite: the models refuse).

Allowed: the purge (audit.services.audit_purge) deleting rows older than the moment it
names in the transaction-local setting audit.purge_before, which must itself be at least
MIN_RETENTION_DAYS (180) ago; and a deleted user's or enterprise's id becoming NULL
(on_delete=SET_NULL), nothing else in the row changing.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
DECLARE
    time_column text := TG_ARGV[0];
    purge_before timestamptz;
    old_row jsonb := to_jsonb(OLD);
    new_row jsonb;
    reference text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        purge_before := NULLIF(current_setting('audit.purge_before', true), '')::timestamptz;
        IF purge_before IS NOT NULL
           AND purge_before <= now() - interval '180 days'
           AND (old_row ->> time_column)::timestamptz < purge_before THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit records are append-only: DELETE refused on %', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    new_row := to_jsonb(NEW);
    FOR i IN 1 .. TG_NARGS - 1 LOOP
        reference := TG_ARGV[i];
        IF new_row -> reference = 'null'::jsonb THEN
            old_row := old_row - reference;
            new_row := new_row - reference;
        END IF;
    END LOOP;
    IF old_row = new_row THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit records are append-only: UPDATE refused on %', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

TRIGGERS = """
CREATE TRIGGER audit_accessevent_append_only
    BEFORE UPDATE OR DELETE ON audit_accessevent
    FOR EACH ROW EXECUTE FUNCTION audit_append_only('at', 'actor_id', 'enterprise_id');
CREATE TRIGGER auditlog_logentry_append_only
    BEFORE UPDATE OR DELETE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION audit_append_only('timestamp', 'actor_id');
"""

DROP = """
DROP TRIGGER IF EXISTS audit_accessevent_append_only ON audit_accessevent;
DROP TRIGGER IF EXISTS auditlog_logentry_append_only ON auditlog_logentry;
DROP FUNCTION IF EXISTS audit_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)
        schema_editor.execute(TRIGGERS, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
