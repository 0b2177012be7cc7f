# ModelVersion moves from moderation to the project package (below the apps that train models);
# the table keeps its name, so only Django's idea of which app owns it changes.
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tiktok", "0001_engagement_daily"),
        ("moderation", "0004_comment_review_queue_and_policies"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ModelVersion",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(max_length=30)),
                        ("version", models.CharField(max_length=40)),
                        ("artifact_path", models.CharField(max_length=300)),
                        ("metrics", models.JSONField(blank=True, default=dict)),
                        ("params", models.JSONField(blank=True, default=dict)),
                        ("active", models.BooleanField(default=False)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("activated_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "moderation_modelversion",
                        "ordering": ["-created_at"],
                        "constraints": [models.UniqueConstraint(fields=("kind", "version"), name="model_version_unique")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
