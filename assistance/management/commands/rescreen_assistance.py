from django.core.management.base import BaseCommand

from assistance.actions import do_rescreen_amounts


class Command(BaseCommand):
    help = "Recompute the amounts of approved 低保 households under today's parameters (after a standard changed)."

    def add_arguments(self, parser):
        parser.add_argument("--region", default="", help="region code prefix, e.g. 6401")

    def handle(self, *args, region="", **options):
        report = do_rescreen_amounts(acting_user=None, region_prefix=region)
        self.stdout.write(f"changed: {len(report.rows)}, flagged for review: {report.flagged}")
