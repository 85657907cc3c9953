"""Celery beat runs every domain's periodic tasks, though the settings name none of them: each
domain registers its own (casework.registry.register_beat) and civilaffairs/celery.py adds them
when beat starts. Checked on a real `celery beat` process and the schedule file it keeps."""

import os
import shelve
import subprocess
import sys

from django.conf import settings

from civilaffairs.casework.registry import DOMAINS, beat_entries

from .conftest import ROOT, wait_for


def test_beat_schedules_every_registered_task(private_redis, tmp_path):
    registered = beat_entries()
    # Every domain brings at least one, and the settings name no domain's task.
    assert {name.split("-")[0] for name in registered} == set(DOMAINS)
    assert not {e["task"].split(".")[0] for e in settings.CELERY_BEAT_SCHEDULE.values()} & set(
        DOMAINS
    )

    env = dict(
        os.environ, REDIS_URL=private_redis.url, DJANGO_SETTINGS_MODULE="civilaffairs.settings"
    )
    log_path = tmp_path / "beat.log"
    schedule_file = tmp_path / "beat-schedule"
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "civilaffairs", "beat"]
            + ["-s", str(schedule_file), "-l", "info"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            assert wait_for(lambda: "beat: Starting" in log_path.read_text(), timeout=60)
        finally:
            proc.terminate()  # beat writes its schedule file as it stops
            proc.wait(timeout=30)
    with shelve.open(str(schedule_file), flag="r") as stored:  # noqa: S301 (beat wrote it here)
        entries = stored["entries"]
    for name, entry in {**settings.CELERY_BEAT_SCHEDULE, **registered}.items():
        assert name in entries, name
        assert entries[name].task == entry["task"]
