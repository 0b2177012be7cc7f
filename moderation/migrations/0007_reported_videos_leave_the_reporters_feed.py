# The feed no longer reads moderation's reports (recommendations does not import moderation): a
# video someone reported is among their "not interested" videos instead. Existing reports get
# their row here; new ones get it from report_create.
from django.db import migrations


def forward(apps, schema_editor):
    Report = apps.get_model("moderation", "Report")
    NotInterested = apps.get_model("videos", "NotInterested")
    ContentType = apps.get_model("contenttypes", "ContentType")
    video_type = ContentType.objects.filter(app_label="videos", model="video").first()
    if video_type is None:
        return
    pairs = set(
        Report.objects.filter(content_type=video_type).values_list("reporter_id", "object_id").distinct()
    )
    existing = set(NotInterested.objects.values_list("user_id", "video_id"))
    Video = apps.get_model("videos", "Video")
    alive = set(Video.objects.filter(pk__in={v for _, v in pairs}).values_list("pk", flat=True))
    NotInterested.objects.bulk_create(
        [NotInterested(user_id=u, video_id=v) for u, v in sorted(pairs - existing) if v in alive],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0006_video_moderation_job_waiting"),
        ("videos", "0003_seed_categories"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
