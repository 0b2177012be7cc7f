from django.db import migrations, models

# The shipped comment artifact's proposed thresholds (moderation/artifacts/comment-default/meta.json,
# chosen on the validation split by `train_comment_moderator`; tests check the two agree). Later
# artifacts are applied with `manage.py apply_comment_thresholds`.
THRESHOLDS = {
    "S": (0.3, 0.95),
    "H": (0.3, 0.8),
    "V": (0.3, 0.8),
    "HR": (0.3, 0.8),
    "SH": (0.55, 0.93),
    "S3": (0.3, 0.8),
    "H2": (0.3, 0.94),
    "V2": (0.3, 0.8),
}
# What migration 0004 seeded: a row holding anything else was changed by a person.
SEEDED = {
    "S": (0.3, 0.97),
    "H": (0.3, 0.8),
    "V": (0.3, 0.8),
    "HR": (0.3, 0.8),
    "SH": (0.52, 0.94),
    "S3": (0.3, 0.8),
    "H2": (0.3, 0.94),
    "V2": (0.3, 0.8),
}
TEXT_SCOPES = ["comments", "profiles"]
CHANGE = 2  # django.contrib.admin.models.CHANGE


def mark_and_update(apps, schema_editor):
    ModerationPolicy = apps.get_model("moderation", "ModerationPolicy")
    LogEntry = apps.get_model("admin", "LogEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    policy_type = ContentType.objects.filter(app_label="moderation", model="moderationpolicy").first()
    edited = set()
    if policy_type is not None:
        edited = set(
            LogEntry.objects.filter(content_type=policy_type, action_flag=CHANGE).values_list("object_id", flat=True)
        )
    for row in ModerationPolicy.objects.all():
        seeded = SEEDED.get(row.category)
        if str(row.pk) in edited or (row.review_threshold, row.reject_threshold) != seeded:
            row.changed_by_moderator = True
            row.save(update_fields=["changed_by_moderator"])
        elif row.scope in TEXT_SCOPES and row.category in THRESHOLDS:
            row.review_threshold, row.reject_threshold = THRESHOLDS[row.category]
            row.save(update_fields=["review_threshold", "reject_threshold"])


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0010_profile_edit_queue"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="moderationpolicy",
            name="changed_by_moderator",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_and_update, migrations.RunPython.noop),
    ]
