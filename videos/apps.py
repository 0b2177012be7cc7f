from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "videos"

    def ready(self):
        from videos.models import Category
        from videos.selectors import category_memo

        category_memo.forget_on_change(Category)

        from accounts.registry import register_personal_data
        from videos import privacy

        register_personal_data(
            "videos", export=privacy.export, export_media=privacy.export_media, erase=privacy.erase, media=privacy.media
        )
