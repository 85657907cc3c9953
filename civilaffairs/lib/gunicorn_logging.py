"""gunicorn's logger, named in gunicorn.conf.py: no query strings in the access log, and the
personal-number filters of lib/logsafety.py on its handlers. Its own module so that gunicorn is
imported only by gunicorn."""

from gunicorn import glogging

from civilaffairs.lib.logsafety import protect_handlers


def _without_query(target: str) -> str:
    return target.split("?", 1)[0] if target and target != "-" else target


class GunicornLogger(glogging.Logger):
    """gunicorn's logger with no query strings in the access log and the filters on its handlers.

    The request line (%(r)s), the referrer (%(f)s) and the raw atoms are rebuilt without their
    query strings, whatever access-log format is configured: a staff search by ID number or
    phone is a GET, and the access log is the first place it would land."""

    def setup(self, cfg):
        super().setup(cfg)
        protect_handlers(self.error_log)
        protect_handlers(self.access_log)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = _without_query(environ.get("RAW_URI") or environ.get("PATH_INFO") or "")
        atoms["r"] = f"{environ['REQUEST_METHOD']} {path} {environ['SERVER_PROTOCOL']}"
        atoms["q"] = "-"
        atoms["f"] = _without_query(atoms.get("f", "-"))
        for key in ("{query_string}e", "{raw_uri}e", "{request_uri}e"):
            atoms.pop(key, None)
        for key in ("{referer}i", "{http_referer}e"):
            if key in atoms:
                atoms[key] = _without_query(atoms[key])
        return atoms
