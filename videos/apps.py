from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "videos"

    def ready(self):
        from videos.models import Category
        from videos.selectors import category_memo

        category_memo.forget_on_change(Category)
