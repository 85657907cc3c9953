"""The one look-up of a row by the key in a URL."""

from django.http import Http404


def get_or_404(qs, pk):
    """The row of `qs` (already narrowed to what the user may see) with this key, or 404: a
    row outside the user's reach is answered as if it did not exist. A malformed key is a 404
    too, never a 500 (the `<id:pk>` converter already refuses most)."""
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
