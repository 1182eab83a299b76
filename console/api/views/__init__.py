"""API views: one module per resource, one small class per operation.

How to add an endpoint (e.g. ``PATCH /api/v1/controls/{control_id}``):

1. In ``console/api/views/<resource>.py`` write a class ``<Entity><Action>Api(APIView)`` with
   exactly one method, its own nested ``InputSerializer`` / ``FilterSerializer`` /
   ``OutputSerializer`` (``class Meta: ref_name = "..."`` on every output serializer so the
   OpenAPI component names stay unique), and ``@extend_schema(operation_id="<entity>_<action>",
   tags=["<resource>"], request=..., parameters=[FilterSerializer], responses=...)``.
2. Validate input with the strict fields of ``console.api.fields`` (``TextField``,
   ``PatternField``, ``StrictIntegerField``, ``StrictBooleanField`` in bodies;
   ``QueryIntegerField``, ``QueryBooleanField`` in filters, fed with
   ``request.query_params.dict()``; a cursor is a ``PatternField`` so the schema says its shape),
   call ONE core service or selector with ``**validated_data`` (a filter serializer's
   ``validate`` may build the core's filters object), return
   ``Response(OutputSerializer(x).data)``. A write that both the console and the API offer is
   one console service doing the core call and the audit (``console.workflow.services``,
   ``console.reactors.services``): both call it.
   Errors are raised, never returned: core errors (``NotFoundError``, ``ValidationError``,
   ``ConflictError``...) become problem details by their ``status_code``; list extra statuses
   the operation can answer in ``problem_statuses = (409,)`` so the schema documents them.
3. Writes: after the service succeeded, ``audit_record(request=request, action="<entity>.<verb>",
   target_type=..., target_id=..., before=..., after=...)`` (``console.audit.services``).
4. Permissions come by default (reads: viewer; writes: operator with a session or write token);
   set ``required_role = "admin"`` on the class to raise the bar.
5. Route it in ``console/api/urls.py`` with ``operations(get=..., patch=...)`` above the
   catch-all (ids in paths: ``<id:...>`` for database ids, ``<key:...>`` for one segment,
   ``<finding:...>`` for finding ids, which may hold slashes; both bounded so they fit a
   DynamoDB key), and add its row to ``MATRIX`` in ``tests/console/api/test_authorization.py``.
   The schemathesis run (``tests/console/api/test_fuzz.py``) picks it up from the schema.
"""
