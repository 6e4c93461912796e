"""PostgreSQL: which of a search term's pairs the text search (issues.search) asks the
index problem_text_grams for, chosen by how often each pair occurs (the column's
statistics, pg_stats). Nothing on SQLite.

The planner estimates `text_grams @> {pairs}` by multiplying the pairs' frequencies as if
they were independent; the pairs of one word are not (危废, 废处 and 处置 come together),
so a common term of four characters was expected in a few dozen rows where it is in 1.6 %
of them, and read whole through the index before sorting (227 ms at 1,000,000 problems).
Asked for its rarest pair alone, the planner sees that pair's own frequency, an upper
bound of the term's, and reads the list's order while the term is common. Pairs too rare
to be among the column's most common elements are all kept: each is rare, and together
they narrow the index scan that a rare term is read through.

The column's statistics target is raised to 1,000 (10,000 most common elements, counted
on a sample of 300,000 rows instead of 30,000): with the default 100 only pairs in more
than 2.5 % of the benchmark's rows were counted, and the planner put any other at 0.5 %,
so a term of one pair found nowhere (量子) was read in the list's order through the whole
table (22 s at 1,000,000 problems on a loaded machine). Counted down to a few rows in a
thousand, a pair not counted is known to be rare and read through the index. ANALYZE of
the problems reads ten times as many rows for it (47 s at 1,000,000, loaded).

The function reads pg_stats but is declared IMMUTABLE, on purpose: the planner then
evaluates it while planning, with the term a constant, and estimates the index condition
from the pairs it returns. Whatever it returns is a subset of the term's pairs, which every
match has, so a stale answer (statistics changed since a plan was made) can only make a
search slower, never change what it finds: the exact substring test decides that."""

from django.db import migrations

FUNCTION = r"""
CREATE FUNCTION issues_index_grams(term text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $$
DECLARE
    grams text[] := issues_term_grams(term);
    common text[];
    frequencies real[];
    gram text;
    position int;
    rare text[] := '{}';
    rarest text;
BEGIN
    IF cardinality(grams) < 2 THEN
        RETURN grams;
    END IF;
    SELECT most_common_elems::text::text[], most_common_elem_freqs
    INTO common, frequencies
    FROM pg_stats
    WHERE schemaname = current_schema() AND tablename = 'issues_problem'
        AND attname = 'text_grams';
    IF common IS NULL THEN  -- not analysed yet: every pair, as before
        RETURN grams;
    END IF;
    FOREACH gram IN ARRAY grams LOOP
        position := array_position(common, gram);
        IF position IS NULL THEN
            IF gram <> ALL(rare) THEN
                rare := rare || gram;
            END IF;
        ELSIF rarest IS NULL
            OR frequencies[position] < frequencies[array_position(common, rarest)] THEN
            rarest := gram;
        END IF;
    END LOOP;
    IF cardinality(rare) > 0 THEN
        RETURN rare;
    END IF;
    RETURN ARRAY[rarest];
END
$$;

ALTER TABLE issues_problem ALTER COLUMN text_grams SET STATISTICS 1000;
"""

DROP = """
ALTER TABLE issues_problem ALTER COLUMN text_grams SET STATISTICS -1;
DROP FUNCTION IF EXISTS issues_index_grams(text);
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("issues", "0016_leader_home_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
