from django.apps import AppConfig


class LibConfig(AppConfig):
    # Installed so its translatable messages are found by makemessages and its path converter
    # is registered before any URLconf is read; it has no models.
    name = "civilaffairs.lib"
    label = "lib"

    def ready(self):
        from .converters import register

        register()
