"""OpenAPI 3 for the API (drf-spectacular) and the interactive docs page.

- `OperationSchemaGenerator`: documents each class of an `operations(...)` URL under its method.
- `ProblemAutoSchema`: adds the problem-details responses every operation can give (401, 403,
  429; 400 where there is input; 404 where there is a path parameter; 415 where there is a body)
  as ``application/problem+json``, so the schema tells the whole truth about error responses and
  a schema-driven fuzzer (schemathesis) can hold the API to it. A view lists further statuses
  (e.g. 409) in ``problem_statuses``. PATCH bodies are documented as the view validates them (in
  full), not as partial.
  Every operation also says who may call it: ``x-required-role`` (viewer / operator / admin)
  and ``x-token-scope`` (read / write).
- `BearerTokenScheme`: the ``Authorization: Bearer`` security scheme.

The docs page is `console.api.docs.ApiDocsView` (a separate module: drf-spectacular's views import
the generator class named in the settings, which lives here).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from console.api.permissions import required_role


class ProblemErrorSerializer(serializers.Serializer):
    pointer = serializers.CharField(help_text="JSON pointer of the offending input (#: the body).")
    detail = serializers.CharField()

    class Meta:
        ref_name = "ProblemError"


class ProblemSerializer(serializers.Serializer):
    """RFC 7807 problem details: the body of every error response."""

    type = serializers.CharField(help_text="urn:ouroboros:problem:<code>")
    title = serializers.CharField(help_text="The HTTP status phrase.")
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField(help_text="The request path.")
    request_id = serializers.CharField(help_text="Also in the X-Request-Id header.")
    errors = ProblemErrorSerializer(many=True, required=False, help_text="Validation errors.")
    current_version = serializers.IntegerField(
        required=False, help_text="409 on a stale version: the version stored now."
    )

    class Meta:
        ref_name = "Problem"


PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_DESCRIPTIONS = {
    400: "The input is not valid (problem details, with errors).",
    401: "No credentials, or an invalid, revoked or expired token.",
    403: "The role or the token scope does not allow this.",
    404: "No such item.",
    409: "Conflict: the item changed meanwhile or is in a conflicting state.",
    415: "The body must be application/json.",
    429: "Rate limit exceeded; retry after Retry-After seconds.",
}


class OperationEnumerator(EndpointEnumerator):
    """Lists each class of an `operations(...)` view as the endpoint of its method."""

    def should_include_endpoint(self, path: str, callback: Any) -> bool:
        if hasattr(callback, "operations"):
            return True
        return bool(super().should_include_endpoint(path, callback))

    def get_allowed_methods(self, callback: Any) -> list[str]:
        if hasattr(callback, "operations"):
            return list(callback.operations)
        return list(super().get_allowed_methods(callback))

    def get_api_endpoints(self, patterns: Any = None, prefix: str = "") -> list[Any]:
        return [
            (path, regex, method, getattr(callback, "operations", {}).get(method, callback))
            for path, regex, method, callback in super().get_api_endpoints(patterns, prefix)
        ]


class OperationSchemaGenerator(SchemaGenerator):
    endpoint_inspector_cls = OperationEnumerator


class ProblemAutoSchema(AutoSchema):
    """Documents the problem-details responses of every operation (see the module docstring)."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            operation["x-required-role"] = required_role(self.view, self.method)
            operation["x-token-scope"] = "read" if self.method in SAFE_METHODS else "write"
        return operation

    def _get_request_for_media_type(self, serializer: Any, direction: str = "request") -> Any:
        # drf-spectacular documents PATCH bodies as partial (every field optional), which is what
        # DRF does only when a view passes partial=True. Ours validate the body they declare in
        # full (e.g. the optimistic-lock ``version`` is required), so document it as it is.
        if self.method != "PATCH":
            return super()._get_request_for_media_type(serializer, direction)
        self.method = "PUT"
        try:
            return super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = "PATCH"

    def _problem_statuses(self) -> list[int]:
        statuses = {401, 403, 429, *getattr(self.view, "problem_statuses", ())}
        if self.method in ("POST", "PUT", "PATCH"):
            statuses |= {400, 415}
        if self._get_parameters():
            statuses.add(400)
        if "{" in self.path:
            statuses.add(404)
        return sorted(statuses)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = dict(super()._get_response_bodies(direction))
        for status in self._problem_statuses():
            responses.setdefault(
                str(status),
                self._get_response_for_code(
                    OpenApiResponse(ProblemSerializer, PROBLEM_DESCRIPTIONS.get(status, "")),
                    str(status),
                    media_types=[PROBLEM_MEDIA_TYPE],
                ),
            )
        return responses


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "console.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`manage.py api_token create` or POST /api/v1/tokens).",
        }
