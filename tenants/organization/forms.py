"""Forms of the company settings screens: branches, people and invitations."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.accounts.models import User
from tenants.companies.forms import timezone_choices
from tenants.organization.models import Branch


class BranchForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    region = forms.CharField(label=_("Region"), max_length=120, required=False)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class _PersonFields(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=User.Role.choices, initial=User.Role.OPERATOR)
    branches = forms.ModelMultipleChoiceField(
        label=_("Branches"),
        queryset=Branch.objects.none(),
        required=False,
        help_text=_("Operators get chats only from their branches."),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        branches = cast(forms.ModelMultipleChoiceField, self.fields["branches"])
        branches.queryset = Branch.objects.order_by("name")


class InviteForm(_PersonFields):
    email = forms.EmailField(label=_("Email"))
    full_name = forms.CharField(label=_("Name"), max_length=120, required=False)
    field_order = ["email", "full_name", "role", "branches"]


class OperatorCreateForm(_PersonFields):
    email = forms.EmailField(label=_("Email"))
    full_name = forms.CharField(label=_("Name"), max_length=120)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    field_order = ["email", "full_name", "password", "role", "branches"]


class OperatorEditForm(_PersonFields):
    full_name = forms.CharField(label=_("Name"), max_length=120)
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=1,
        max_value=100,
        required=False,
        help_text=_("Most chats at once; empty for no limit."),
    )
    field_order = ["full_name", "role", "branches", "capacity"]


class InvitationAcceptForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=120)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
