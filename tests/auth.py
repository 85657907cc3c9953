"""Signing a test client in.

`sign_in` is the one way tests sign a user in without the login form: it stands for a login
that has passed every step the site asks for (password and, for staff, the second factor)."""


def sign_in(client, user):
    client.force_login(user)
    return client
