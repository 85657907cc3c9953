"""Reading a page in a test."""


def page_text(response, status: int = 200) -> str:
    """The page's text, once it is known to have answered `status`: an absence asserted on an
    error page (or a login redirect) would pass for the wrong reason."""
    assert response.status_code == status, (response.status_code, response.get("Location"))
    return response.content.decode()
