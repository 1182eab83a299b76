"""``POST /api/v1/findings/bulk``: a bulk action on findings, like the findings page's bulk form.

The body names the findings (``finding_ids``, at most 1,000) or a filter of the findings list
(``filter``: the list's filter parameters; at most the first 1,000 matches, ``truncated`` says
when more matched), and the action: ``dry_run``, ``remediate``, ``workflow`` (``status`` and a
required ``note``) or ``exempt`` (``note`` is the reason; ``expires_at`` optional). It calls
`console.findings.bulk.finding_bulk`, as the page does, and answers each finding's outcome and
the audit entry that records the action.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api.fields import PatternField, TextField
from console.findings.api import FINDING_ID_PATTERN, FindingListApi
from console.findings.bulk import finding_bulk
from ouroboros.findings.bulk import BULK_ACTIONS, MAX_SELECTION, NOTE_MAX, SETTABLE_STATUSES


class BulkFilterSerializer(FindingListApi.FilterSerializer):
    """The findings list's filter parameters, without its sort and paging."""

    sort = None
    cursor = None  # type: ignore[assignment]
    limit = None  # type: ignore[assignment]

    class Meta:
        ref_name = "FindingBulkFilter"


class BulkMemberSerializer(serializers.Serializer):
    finding_id = serializers.CharField()
    outcome = serializers.ChoiceField(
        choices=["started", "updated", "exempted", "skipped", "refused"]
    )
    reason = serializers.CharField(help_text="Why it was skipped or refused; what was done.")
    execution_arn = serializers.CharField(
        allow_null=True, help_text="The workflow run started for it (runs only)."
    )

    class Meta:
        ref_name = "FindingBulkMember"


class FindingBulkApi(APIView):
    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=list(BULK_ACTIONS))
        finding_ids = serializers.ListField(
            child=PatternField(FINDING_ID_PATTERN),
            required=False,
            min_length=1,
            max_length=MAX_SELECTION,
            help_text="The findings to act on (or give ``filter``).",
        )
        filter = BulkFilterSerializer(
            required=False, help_text="Every finding this filter of the list matches."
        )
        status = serializers.ChoiceField(
            choices=list(SETTABLE_STATUSES), required=False, help_text="For ``workflow``."
        )
        note = TextField(
            required=False,
            max_length=NOTE_MAX,
            help_text="Required for ``workflow`` (the Security Hub note) and ``exempt`` (reason).",
        )
        expires_at = serializers.DateTimeField(
            required=False, allow_null=True, help_text="For ``exempt``: when it expires."
        )

        class Meta:
            ref_name = "FindingBulk"

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if ("finding_ids" in attrs) == ("filter" in attrs):
                raise serializers.ValidationError("Give exactly one of finding_ids and filter.")
            if attrs["action"] == "workflow" and not attrs.get("status"):
                raise serializers.ValidationError({"status": "Required for the workflow action."})
            selection = attrs.pop("filter", None)
            return {**attrs, "filters": selection["filters"] if selection else None}

    class OutputSerializer(serializers.Serializer):
        action = serializers.CharField()
        truncated = serializers.BooleanField(
            help_text=f"The filter matched more than {MAX_SELECTION}: only the first were taken."
        )
        counts = serializers.DictField(child=serializers.IntegerField())
        executions = serializers.ListField(child=serializers.CharField())
        members = BulkMemberSerializer(many=True)
        audit_id = serializers.IntegerField(help_text="The audit entry recording the action.")

        class Meta:
            ref_name = "FindingBulkResult"

    @extend_schema(
        operation_id="finding_bulk",
        tags=["findings"],
        request=InputSerializer,
        responses=OutputSerializer,
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result, entry = finding_bulk(request=request, **data.validated_data)
        body = {
            "action": result.action,
            "truncated": result.truncated,
            "counts": result.counts(),
            "executions": result.executions,
            "members": result.members,
            "audit_id": entry.pk,
        }
        return Response(self.OutputSerializer(body).data)
