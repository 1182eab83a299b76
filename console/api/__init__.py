"""The REST API under /api/v1/ (Django REST Framework) and the API tokens that automation uses.

Pieces, each in its own module: ``models`` (API tokens), ``services`` / ``selectors`` (token
writes and reads), ``authentication`` (``Authorization: Bearer``), ``permissions`` (roles and
token scopes), ``throttling`` (per-token rate limits), ``problems`` (the one RFC 7807 error
shape), ``routing`` (one API class per operation), ``schema`` (OpenAPI and the docs page),
``views/`` (one module per resource) and ``urls``.
"""
