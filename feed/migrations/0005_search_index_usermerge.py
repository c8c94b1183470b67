"""SQLite's full-text index: let a 'merge' join any two segments of one level (see
feed.search.merge_index). Stored in the index's own config table; nothing to do elsewhere."""

from __future__ import annotations

from django.db import migrations


def set_usermerge(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "INSERT INTO feed_video_fts(feed_video_fts, rank) VALUES ('usermerge', 2)"
        )


def reset_usermerge(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "INSERT INTO feed_video_fts(feed_video_fts, rank) VALUES ('usermerge', 4)"
        )


class Migration(migrations.Migration):
    dependencies = [("feed", "0004_video_first_seen_index")]

    operations = [migrations.RunPython(set_usermerge, reset_usermerge)]
