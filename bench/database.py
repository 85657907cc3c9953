"""The benchmark database: its own, so benchmarks never touch development data."""

import os
from urllib.parse import urlsplit, urlunsplit

DEFAULT_NAME = "civilaffairs_bench"


def bench_database_url() -> str:
    """BENCH_DATABASE_URL, or the configured server with the database `civilaffairs_bench`."""
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/civilaffairs")
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, "/" + DEFAULT_NAME, parts.query, parts.fragment))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def ensure_database(url: str):
    """Create the bench database on its server if missing."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = database_name(url)
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, parts.fragment))
    conn = psycopg.connect(admin)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
