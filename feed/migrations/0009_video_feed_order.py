from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("feed", "0008_change"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="video",
            index=models.Index(fields=["first_seen_at", "sort_key"], name="video_first_seen_sort"),
        ),
    ]
