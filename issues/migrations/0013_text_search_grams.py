"""PostgreSQL: each problem's title, description and enterprise name as the set of their
characters and character pairs (a column Django does not know of, kept by triggers), with
a GIN index, so that the list's text search (issues.search) finds 1- and 2-character
Chinese terms without reading every row: pg_trgm cannot (a pattern under 3 characters gives
it no trigram). Triggers, because every way a problem's text is written (the workflow,
bulk_create in imports, benchmarks and the demo, raw SQL) and every renaming of an
enterprise must keep it; a stored column rather than an expression index, because a row
the index found is then tested with a cheap array test rather than by computing its pairs
again, and because it holds the enterprise's name, which is in another table. Existing
rows are filled here. Nothing on SQLite, whose search stays the plain substring match."""

from django.db import migrations

FUNCTIONS = r"""
CREATE FUNCTION issues_text_grams(title text, description text, enterprise text)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    chars text[] := string_to_array(upper(
        coalesce(title, '') || E'\n' || coalesce(description, '') || E'\n'
        || coalesce(enterprise, '')
    ), NULL);
BEGIN
    -- Every character and every pair of neighbours, once each, upper-cased as Django's
    -- icontains compares.
    RETURN ARRAY(
        SELECT DISTINCT gram FROM (
            SELECT unnest(chars)
            UNION ALL
            SELECT a || b FROM unnest(chars, chars[2:]) AS pairs(a, b) WHERE b IS NOT NULL
        ) AS grams(gram)
    );
END
$$;

CREATE FUNCTION issues_term_grams(term text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    -- What a text containing `term` must have: its one character, or its pairs.
    SELECT CASE WHEN cardinality(chars) = 1 THEN chars ELSE ARRAY(
        SELECT a || b FROM unnest(chars, chars[2:]) AS pairs(a, b) WHERE b IS NOT NULL
    ) END
    FROM string_to_array(upper(term), NULL) AS chars
$$;

CREATE FUNCTION issues_problem_text_grams() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.text_grams := issues_text_grams(
        NEW.title, NEW.description,
        (SELECT name FROM liaison_enterprise WHERE id = NEW.enterprise_id)
    );
    RETURN NEW;
END
$$;

CREATE FUNCTION issues_enterprise_text_grams() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE issues_problem SET text_grams = issues_text_grams(title, description, NEW.name)
    WHERE enterprise_id = NEW.id;
    RETURN NULL;
END
$$;

ALTER TABLE issues_problem ADD COLUMN text_grams text[];

CREATE TRIGGER issues_problem_text_grams
    BEFORE INSERT OR UPDATE OF title, description, enterprise_id ON issues_problem
    FOR EACH ROW EXECUTE FUNCTION issues_problem_text_grams();

CREATE TRIGGER issues_enterprise_text_grams
    AFTER UPDATE OF name ON liaison_enterprise
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION issues_enterprise_text_grams();

UPDATE issues_problem SET title = title;

CREATE INDEX problem_text_grams ON issues_problem USING gin (text_grams);
"""

DROP = """
DROP INDEX IF EXISTS problem_text_grams;
DROP TRIGGER IF EXISTS issues_enterprise_text_grams ON liaison_enterprise;
DROP TRIGGER IF EXISTS issues_problem_text_grams ON issues_problem;
ALTER TABLE issues_problem DROP COLUMN IF EXISTS text_grams;
DROP FUNCTION IF EXISTS issues_enterprise_text_grams();
DROP FUNCTION IF EXISTS issues_problem_text_grams();
DROP FUNCTION IF EXISTS issues_term_grams(text);
DROP FUNCTION IF EXISTS issues_text_grams(text, text, text);
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("issues", "0012_triage_and_escalated_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
