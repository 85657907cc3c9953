"""Uploaded files keep the name they were sent with, so that a name that tries to be a path can
be refused (casework.documents.clean_name) rather than repaired.

Django's multipart parser cuts every file name down to its last path component before any of
our code sees it: "../../x.pdf", "a/b.pdf" and "C:\\x.pdf" all arrive as a harmless-looking
"x.pdf" or "b.pdf". Storing that is safe, but it hides an attempt the portal means to refuse,
and it files evidence under a name the sender did not give. The parser below is Django's own,
noting the name as sent (`sent_name` on each uploaded file) next to the name it keeps.
"""

import html

from django.http.multipartparser import MultiPartParser
from django.utils.datastructures import ImmutableList


class SentNamesParser(MultiPartParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sent: dict[str, list[str]] = {}

    def sanitize_file_name(self, file_name):
        kept = super().sanitize_file_name(file_name)
        if kept is not None:
            self._sent.setdefault(kept, []).append(html.unescape(file_name))
        return kept

    def parse(self):
        post, files = super().parse()
        for _field, uploads in files.lists():
            for upload in uploads:
                sent = self._sent.get(upload.name)
                upload.sent_name = sent.pop(0) if sent else upload.name
        return post, files


def keep_sent_file_names(request) -> None:
    """Make `request` parse its multipart body with SentNamesParser (to be called before
    anything reads request.POST or request.FILES: the first middleware that looks at them)."""

    def parse_file_upload(meta, post_data):
        # What HttpRequest.parse_file_upload does, with the parser above.
        request.upload_handlers = ImmutableList(
            request.upload_handlers,
            warning="You cannot alter upload handlers after the upload has been processed.",
        )
        return SentNamesParser(meta, post_data, request.upload_handlers, request.encoding).parse()

    request.parse_file_upload = parse_file_upload
