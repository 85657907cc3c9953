"""(Re)load the administrative division table from the committed data file.

Idempotent: rows are upserted by code, so running it twice changes nothing, and a newer data
file updates names and adds codes without touching people who point at existing codes. Codes
missing from a newer file are kept and marked not current (ID numbers keep them for life).
"""

import csv
import gzip
import time
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from civilaffairs.people.models import Region, forget_address_codes

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "regions.tsv.gz"


def read_rows(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        yield from csv.DictReader(fh, delimiter="\t")


class Command(BaseCommand):
    help = "Load the national administrative divisions (see civilaffairs/people/data/SOURCES.md)."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=DATA_FILE)

    def handle(self, *args, file: Path, verbosity=1, **options):
        started = time.monotonic()
        rows = [
            Region(
                code=r["code"],
                name=r["name"],
                level=int(r["level"]),
                parent_id=r["parent"] or None,
                is_current=r["current"] == "1",
            )
            for r in read_rows(file)
        ]
        codes = {r.code for r in rows}
        with transaction.atomic():
            existing = Region.objects.count()
            Region.objects.bulk_create(
                rows,
                batch_size=5000,
                update_conflicts=True,
                unique_fields=["code"],
                update_fields=["name", "level", "parent", "is_current"],
            )
            # Codes we had that the file no longer lists are retired, never deleted.
            stale = Region.objects.filter(is_current=True).exclude(code__in=codes)
            retired = stale.update(is_current=False)
        forget_address_codes()
        if verbosity:
            self.stdout.write(
                f"regions: {len(rows)} in file, {Region.objects.count() - existing} new, "
                f"{retired} retired, {time.monotonic() - started:.1f}s"
            )
