"""The managed category list starts with the original project's 19 categories (editable in the admin)."""

from django.db import migrations
from django.utils.text import slugify

CATEGORIES = [
    "Entertainment",
    "Comedy",
    "Music",
    "Dance",
    "Sports",
    "Gaming",
    "Food & Drink",
    "Travel",
    "Education",
    "Science & Technology",
    "Fashion",
    "Beauty",
    "Fitness & Health",
    "Pets & Animals",
    "DIY & Crafts",
    "Art",
    "News & Politics",
    "Lifestyle",
    "Autos & Vehicles",
]


def seed(apps, schema_editor):
    Category = apps.get_model("videos", "Category")
    for position, name in enumerate(CATEGORIES):
        Category.objects.get_or_create(name=name, defaults={"slug": slugify(name), "position": position})


def unseed(apps, schema_editor):
    # Categories may be in use and edited by then; leave them.
    pass


class Migration(migrations.Migration):
    dependencies = [("videos", "0002_video_approve_on_ready_note")]

    operations = [migrations.RunPython(seed, unseed)]
