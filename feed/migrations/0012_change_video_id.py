"""The change log's index by video becomes (video, id): a page of changes for a filter that keeps
few videos reads each video's changes after a position from the index alone on PostgreSQL."""

from django.db import migrations, models

# Django's name for the foreign key's own index (the same on SQLite and PostgreSQL).
FOREIGN_KEY_INDEX = "feed_change_video_id_343e1054"


class Migration(migrations.Migration):
    dependencies = [("feed", "0011_webhooks")]

    operations = [
        # The new index first: the foreign key is never without one.
        migrations.AddIndex(
            model_name="change",
            index=models.Index(fields=["video", "id"], name="change_video_id"),
        ),
        migrations.SeparateDatabaseAndState(
            # Not AlterField: on SQLite it would copy the whole table to drop one index.
            state_operations=[
                migrations.AlterField(
                    model_name="change",
                    name="video",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="changes",
                        to="feed.video",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {FOREIGN_KEY_INDEX}",
                    reverse_sql=f"CREATE INDEX {FOREIGN_KEY_INDEX} ON feed_change (video_id)",
                ),
            ],
        ),
    ]
