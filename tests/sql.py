"""Reading what a page sent to PostgreSQL."""


def statements(ctx) -> list[str]:
    """The SQL of each query captured by a CaptureQueriesContext."""
    return [query["sql"] for query in ctx.captured_queries]
