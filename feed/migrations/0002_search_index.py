"""The full-text index over title and description, per database vendor (see feed/search.py).

SQLite: an external-content FTS5 table whose rowid is Video.sort_key, kept in sync by triggers.
Django rebuilds a SQLite table for some ALTERs and drops its triggers with it: a later migration
that alters feed_video on SQLite must run SQLITE_TRIGGERS again (the search tests would fail).
"""

from __future__ import annotations

from django.db import migrations

# detail=none: queries are single-word prefixes, never phrases, so positions are dead weight.
# prefix='1 .. 12': every word of a search is a prefix, and a prefix without an index of its
# length makes FTS5 merge the doclists of every term that starts with it before returning one
# row: at 1M videos `"football"*` took 234 ms with prefix='1 2 3 4' and 0.08 ms with an index
# of length 8 (the exact word: 0.08 ms). Lengths 1..12 cost +60% index size over '1 2 3 4'
# (683 MB vs 423 MB at 1M); words longer than 12 characters still merge.
SQLITE_TABLE = """
CREATE VIRTUAL TABLE feed_video_fts USING fts5(
    title, description,
    content='feed_video', content_rowid='sort_key',
    tokenize='unicode61 remove_diacritics 2', detail=none, prefix='1 2 3 4 5 6 7 8 9 10 11 12'
)
"""

SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER feed_video_fts_insert AFTER INSERT ON feed_video BEGIN
        INSERT INTO feed_video_fts(rowid, title, description)
        VALUES (new.sort_key, new.title, new.description);
    END
    """,
    """
    CREATE TRIGGER feed_video_fts_delete AFTER DELETE ON feed_video BEGIN
        INSERT INTO feed_video_fts(feed_video_fts, rowid, title, description)
        VALUES ('delete', old.sort_key, old.title, old.description);
    END
    """,
    # Re-polls rewrite rows with the same text: only a real change touches the index.
    """
    CREATE TRIGGER feed_video_fts_update AFTER UPDATE ON feed_video
    WHEN old.title IS NOT new.title OR old.description IS NOT new.description
        OR old.sort_key IS NOT new.sort_key
    BEGIN
        INSERT INTO feed_video_fts(feed_video_fts, rowid, title, description)
        VALUES ('delete', old.sort_key, old.title, old.description);
        INSERT INTO feed_video_fts(rowid, title, description)
        VALUES (new.sort_key, new.title, new.description);
    END
    """,
]


def create_index(apps, schema_editor) -> None:
    run = schema_editor.execute
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        run(SQLITE_TABLE)
        for trigger in SQLITE_TRIGGERS:
            run(trigger)
        run("INSERT INTO feed_video_fts(feed_video_fts) VALUES ('rebuild')")
    elif vendor == "postgresql":
        run("CREATE EXTENSION IF NOT EXISTS unaccent")
        with schema_editor.connection.cursor() as cursor:
            # Some hosts install extensions outside `public`: name the schema it landed in.
            cursor.execute(
                "SELECT extnamespace::regnamespace::text FROM pg_extension "
                "WHERE extname = 'unaccent'"
            )
            schema = cursor.fetchone()[0]
        # unaccent() is only STABLE (its dictionary could change); a stored generated column
        # needs IMMUTABLE, and naming the dictionary explicitly makes that promise true enough.
        run(
            "CREATE OR REPLACE FUNCTION feed_unaccent(text) RETURNS text "
            "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS "
            f"$$ SELECT {schema}.unaccent('{schema}.unaccent'::regdictionary, $1) $$"
        )
        # Punctuation becomes spaces so that PostgreSQL's parser splits words where
        # feed.search.words does: otherwise it reads "<script>" as an HTML tag and drops it,
        # and "example.com" or "a/b" as one host or path token that "example" does not match.
        punctuation = "<>&/.@:_-+='\""
        run(
            "ALTER TABLE feed_video ADD COLUMN search tsvector GENERATED ALWAYS AS ("
            "to_tsvector('simple'::regconfig, translate("
            "feed_unaccent(title || ' ' || description), "
            "%s, %s))) STORED",
            [punctuation, " " * len(punctuation)],
        )
        run("CREATE INDEX feed_video_search ON feed_video USING gin (search)")
    else:
        raise NotImplementedError(f"no full-text index for {vendor}")


def drop_index(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS feed_video_fts_{name}")
        schema_editor.execute("DROP TABLE IF EXISTS feed_video_fts")
    elif vendor == "postgresql":
        schema_editor.execute("ALTER TABLE feed_video DROP COLUMN IF EXISTS search")
        schema_editor.execute("DROP FUNCTION IF EXISTS feed_unaccent(text)")


class Migration(migrations.Migration):
    dependencies = [("feed", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
