"""The search index (videos/search_index.py): the SearchToken table, its token index made the way
each database can use it for LIKE 'word%', and tokens for the videos already listable."""

import django.db.models.deletion
from django.db import migrations, models

# The tokenizer is a pure function of the text (no model, no settings): the tokens this
# migration writes are the ones the running code writes and matches.
from videos.search_index import token_rows

TABLE = "videos_searchtoken"
INDEX = "searchtoken_token_idx"


def create_token_index(apps, schema_editor):
    quote = schema_editor.quote_name
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        # SQLite's LIKE ignores ASCII case, so it uses an index only if that index does too
        # (NOCASE). The tokens are lower-cased, so NOCASE changes no answer.
        schema_editor.execute(f"CREATE INDEX {quote(INDEX)} ON {quote(TABLE)} ({quote('token')} COLLATE NOCASE)")
        return
    if vendor == "mysql":
        # A binary collation: LIKE then compares code points exactly, as on SQLite (the table's
        # utf8mb4_unicode_ci would also match accents and other equivalents), and still uses the
        # index (LIKE BINARY on a _ci column does not).
        schema_editor.execute(
            f"ALTER TABLE {quote(TABLE)} MODIFY {quote('token')} varchar(64) "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL"
        )
    schema_editor.execute(f"CREATE INDEX {quote(INDEX)} ON {quote(TABLE)} ({quote('token')})")


def drop_token_index(apps, schema_editor):
    quote = schema_editor.quote_name
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(f"DROP INDEX {quote(INDEX)} ON {quote(TABLE)}")
    else:
        schema_editor.execute(f"DROP INDEX {quote(INDEX)}")


def fill_tokens(apps, schema_editor):
    """Tokens for every video listable now (the rules of videos.selectors.LISTABLE)."""
    Video = apps.get_model("videos", "Video")
    SearchToken = apps.get_model("videos", "SearchToken")
    listable = Video.objects.filter(
        processing="ready",
        moderation="approved",
        visibility="public",
        hidden=False,
        deleted_at__isnull=True,
        creator__banned_at__isnull=True,
    )
    batch = []
    for video in listable.select_related("creator").prefetch_related("hashtags").iterator(chunk_size=500):
        rows = token_rows(
            title=video.title,
            description=video.description,
            hashtags=[tag.name for tag in video.hashtags.all()],
            username=video.creator.username,
            display_name=video.creator.display_name,
        )
        batch += [SearchToken(video_id=video.pk, kind=kind, token=token, source=source) for kind, token, source in rows]
        if len(batch) >= 2000:
            SearchToken.objects.bulk_create(batch)
            batch = []
    SearchToken.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("videos", "0003_seed_categories"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("text", "Text"), ("username", "Username"), ("name", "Name")],
                        default="text",
                        max_length=8,
                    ),
                ),
                ("token", models.CharField(max_length=64)),
                ("source", models.CharField(blank=True, max_length=150)),
                (
                    "video",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="search_tokens",
                        to="videos.video",
                    ),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create_token_index, drop_token_index)],
            state_operations=[
                migrations.AddIndex(
                    model_name="searchtoken",
                    index=models.Index(fields=["token"], name=INDEX),
                ),
            ],
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
    ]
