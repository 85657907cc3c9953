"""Django's makemessages, reading the Jinja2 templates (`.jinja`) as well.

Their texts are written `{{ _("…") }}` (civilaffairs/lib/jinja.py), which is also how a Django
template writes a translated literal, so Django's own reader finds them. Without this, running
the command as usual would drop those texts from the catalogues as no longer used."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    def handle(self, *args, **options):
        if options["domain"] == "django":
            options["extensions"] = [*(options["extensions"] or ["html", "txt", "py"]), "jinja"]
        return super().handle(*args, **options)
