"""The exchange: what the portal shares with other departments and what they send it.

The data standard (catalogue.py, served at /standards/), the inter-agency API under /api/v1/
(REST framework, OAuth2 client credentials per department), each client's grant, the log of
every call and the citizen's page of who used their data. Clients are limited by
`accounts.access` exactly as staff are (a `ServicePrincipal`). See docs/api.md.
"""
