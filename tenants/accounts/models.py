"""The user model. Its table exists in every schema: a company's people live in the company's
schema, platform staff in the public one, so a session of one host is worthless on another."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True, role=User.Role.ADMIN)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Admin")
        SUPERVISOR = "supervisor", _("Supervisor")
        OPERATOR = "operator", _("Operator")

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("name"), max_length=120)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OPERATOR)
    language = models.CharField(_("language"), max_length=8, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(default=False)  # platform staff (public schema only)
    date_joined = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    notifications_muted = models.BooleanField(_("mute sounds and notifications"), default=False)
    # A chime for a new chat also while the panel tab is in front (not muted only).
    sound_when_visible = models.BooleanField(_("sound for new chats in an open tab"), default=True)

    class Status(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        BUSY = "busy", _("Busy")
        OFFLINE = "offline", _("Offline")

    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OFFLINE
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Concurrent open chats; None is no limit. At capacity an operator counts as busy.
    capacity = models.PositiveSmallIntegerField(_("capacity"), null=True, blank=True)

    # The admin hid the getting-started checklist from the Dialogs page (it can be reopened).
    onboarding_hidden = models.BooleanField(default=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        verbose_name = _("user")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_company_admin(self) -> bool:
        return self.is_active and self.role == self.Role.ADMIN

    @property
    def is_supervisor_or_admin(self) -> bool:
        return self.is_active and self.role in (self.Role.ADMIN, self.Role.SUPERVISOR)
