from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "videos"

    def ready(self):
        from accounts.signals import profile_shown_changed
        from videos import search_index
        from videos.models import Category
        from videos.selectors import category_memo

        category_memo.forget_on_change(Category)
        # A creator's name is part of their videos' search tokens.
        profile_shown_changed.connect(
            lambda sender, *, user, **kwargs: search_index.creator_tokens_refresh(user=user),
            dispatch_uid="videos.creator_search_tokens",
            weak=False,
        )

        from accounts.registry import register_personal_data
        from videos import privacy

        register_personal_data(
            "videos", export=privacy.export, export_media=privacy.export_media, erase=privacy.erase, media=privacy.media
        )
