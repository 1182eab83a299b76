"""The REST API under /api/v1/ (Django REST Framework): the plumbing every resource shares.

Pieces, each in its own module: ``authentication`` (``Authorization: Bearer``, tokens of
`console.tokens`), ``permissions`` (roles and token scopes), ``throttling`` (per-token rate
limits), ``problems`` (the one RFC 7807 error shape), ``errors``, ``fields`` (strict serializer
fields), ``routing`` (one API class per operation), ``schema`` (OpenAPI), ``docs`` (the docs
page) and ``urls`` (every route under /api/). The operations themselves live in the app of their
resource: ``console/<resource>/api.py`` (findings, controls, executions, reactors, hub, audit,
tokens; the dashboard's summary in ``console/dashboard/api.py``).
"""
