"""A settings row saved before learned weights holds `neighbours` = 50, the old fixed k, which now
caps what nightly training may choose; rows still at that old default move to the new one (400),
so a trained model carries the k validation chose. A value an operator set is kept."""

from django.db import migrations

OLD_DEFAULT, NEW_DEFAULT = 50, 400


def raise_old_default(apps, schema_editor):
    settings_model = apps.get_model("recommendations", "RecommenderSettings")
    settings_model.objects.filter(neighbours=OLD_DEFAULT).update(neighbours=NEW_DEFAULT)


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0002_learned_weights"),
    ]

    operations = [
        migrations.RunPython(raise_old_default, migrations.RunPython.noop),
    ]
