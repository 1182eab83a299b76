"""The console forms that create an API token: admins for any active user, operators their own."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from console.tokens.models import ApiToken
from console.tokens.services import MAX_EXPIRES_DAYS


class ApiTokenCreateForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        help_text="The token acts with this user's role.",
    )
    name = forms.CharField(max_length=100, help_text="e.g. the pipeline that will use it")
    scope = forms.ChoiceField(choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ)
    expires_days = forms.IntegerField(
        min_value=1, max_value=MAX_EXPIRES_DAYS, required=False, help_text="Empty: never expires."
    )


class OwnApiTokenCreateForm(forms.Form):
    """An operator's token for themselves: no owner to choose."""

    name = ApiTokenCreateForm.base_fields["name"]
    scope = ApiTokenCreateForm.base_fields["scope"]
    expires_days = ApiTokenCreateForm.base_fields["expires_days"]
