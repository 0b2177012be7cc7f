from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        # Each app registers its part of a person's data (export, erasure) here; imported now
        # because privacy reads the models, which are loaded only at ready().
        from accounts import privacy
        from accounts.registry import register_personal_data

        register_personal_data(
            "accounts",
            export=privacy.export,
            export_media=privacy.export_media,
            erase=privacy.erase,
            media=privacy.media,
        )
