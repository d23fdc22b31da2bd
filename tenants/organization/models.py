"""Branches (regional offices), who works in which, and invitations to join the company."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from tenants.accounts.models import User


class Branch(models.Model):
    name = models.CharField(_("name"), max_length=120)
    region = models.CharField(_("region"), max_length=120, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    is_active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(_("default branch"), default=False)
    created_at = models.DateTimeField(default=now)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="BranchMembership", related_name="branches"
    )

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["name"]
        constraints = [
            # At most one default branch: the database, not the form, keeps it true.
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_branch"
            ),
            models.UniqueConstraint(fields=["name"], name="unique_branch_name"),
        ]

    def __str__(self) -> str:
        return self.name


class BranchMembership(models.Model):
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    joined_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["branch", "user"], name="unique_branch_member")
        ]


class Invitation(models.Model):
    """An emailed, expiring link to join the company; only a hash of its token is stored."""

    email = models.EmailField(_("email"))
    full_name = models.CharField(_("name"), max_length=120, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=User.Role.choices)
    branches = models.ManyToManyField(Branch, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["email"])]

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now()
