"""python manage.py generate_bench_data [--persons 1000000]

Always writes to the benchmark database (BENCH_DATABASE_URL, default `civilaffairs_bench` on the
configured server): when started against any other database it re-runs itself there, so it can
never touch development data.
"""

import os
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection


class Command(BaseCommand):
    help = "Generate province-scale benchmark data in the benchmark database (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=1_000_000)
        parser.add_argument("--open-cases", type=int, default=200_000)
        parser.add_argument("--closed-cases", type=int, default=50_000)
        parser.add_argument("--force", action="store_true", help="regenerate even if present")

    def handle(self, *args, persons, open_cases, closed_cases, force, **options):
        from bench.database import bench_database_url, database_name, ensure_database

        url = bench_database_url()
        # Created first in either case: `make bench` starts this command with DATABASE_URL
        # already pointing at the (on a fresh machine, missing) benchmark database.
        ensure_database(url)
        if connection.settings_dict["NAME"] != database_name(url):
            env = dict(os.environ, DATABASE_URL=url)
            cmd = [
                sys.executable,
                "manage.py",
                "generate_bench_data",
                "--persons",
                str(persons),
                "--open-cases",
                str(open_cases),
                "--closed-cases",
                str(closed_cases),
            ]
            if force:
                cmd.append("--force")
            raise SystemExit(subprocess.call(cmd, env=env))  # noqa: S603 (our own interpreter and script)

        from bench.generate import Sizes, already_generated, generate
        from civilaffairs.portal import demo

        sizes = Sizes(persons=persons, open_cases=open_cases, closed_cases=closed_cases)
        self.stdout.write(f"benchmark database: {connection.settings_dict['NAME']}")
        call_command("migrate", verbosity=0, interactive=False)
        call_command("load_regions", verbosity=0)
        admin = demo._admin_user()
        offices = demo.create_offices(admin, self.stdout.write)
        demo.create_staff(admin, offices, self.stdout.write)
        demo.load_reference_data(log=self.stdout.write)
        if not force and already_generated(sizes):
            self.stdout.write(
                f"already generated: {sizes}; nothing to do (use --force to regenerate)"
            )
            return
        figures = generate(sizes, log=self.stdout.write)
        imp = figures["import_persons"]
        self.stdout.write(
            f"persons: {imp['rows']:,} in {imp['seconds']} s = {imp['rows_per_s']:,} rows/s; cases: {figures['cases']}"
        )
