"""The Hub catalog: its console pages (the catalog under /reactors/ and a reactor's detail), the
``/api/v1/hub/reactors`` API views (``api``) and publishing (``hub_publish``, ``reactor_build``).
"""
