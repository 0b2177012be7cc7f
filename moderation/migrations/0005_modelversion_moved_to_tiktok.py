# The ModelVersion table now belongs to the project package (tiktok.0002); nothing changes in it.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0004_comment_review_queue_and_policies"),
        ("tiktok", "0002_modelversion"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ModelVersion")],
            database_operations=[],
        ),
    ]
