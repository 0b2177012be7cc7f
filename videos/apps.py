from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class VideosConfig(AppConfig):
    name = "videos"

    def ready(self):
        from videos.models import Category
        from videos.selectors import category_table_forget

        post_save.connect(category_table_forget, sender=Category, dispatch_uid="category-saved")
        post_delete.connect(category_table_forget, sender=Category, dispatch_uid="category-deleted")
