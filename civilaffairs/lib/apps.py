from django.apps import AppConfig


class LibConfig(AppConfig):
    # Installed only so its translatable messages are found by makemessages; it has no models.
    name = "civilaffairs.lib"
    label = "lib"
