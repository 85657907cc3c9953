from django.core.management.base import BaseCommand

from eldercare.actions import do_register_platform


class Command(BaseCommand):
    help = "Register a health-device platform and print its API token (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name, **options):
        platform, token = do_register_platform(acting_user=None, name=name)
        self.stdout.write(f"platform {platform.pk} {platform.name}\ntoken: {token}")
