#!/usr/bin/env bash
# The whole suite as `make test` runs it (arguments go to pytest), in two runs:
#  1. every test but the runs_last ones, in PYTEST_WORKERS processes (pytest-xdist;
#     tests/parallel.py says what each process has of its own, what stays together, and leaves
#     the runs_last tests out);
#  2. then the runs_last ones (the scan of the run's logs for personal numbers), on their own:
#     the processes of the first run cannot wait for each other, so nothing in it can be last.
# Exits with the first run's status if it failed, else the second's.
set -u
py=${VPY:-.venv/bin/python}
"$py" -m pytest -p tests.parallel -n "${PYTEST_WORKERS:-2}" --dist loadgroup \
  --no-loadscope-reorder "$@"
first=$?
KEEP_TEST_LOGS=1 "$py" -m pytest -m runs_last tests
last=$?
if [ "$first" -ne 0 ]; then exit "$first"; fi
exit "$last"
