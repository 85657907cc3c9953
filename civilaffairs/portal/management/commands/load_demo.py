from django.core.management.base import BaseCommand

from civilaffairs.portal import demo


class Command(BaseCommand):
    help = "Create the demo offices, staff, people and households (idempotent)."

    def handle(self, *args, verbosity=1, **options):
        log = self.stdout.write if verbosity else (lambda *a: None)
        demo.load(log=log)
