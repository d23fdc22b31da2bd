"""The operator's own profile, the company's branches and team in the panel API (mounted by
messenger/api.py under /api/v1)."""

from __future__ import annotations

from ninja import Router, Schema
from ninja.errors import HttpError

from messenger.api_errors import PANEL_ANY as ANY
from messenger.api_errors import answers
from tenants.accounts.permissions import AuthenticatedRequest
from tenants.organization import selectors, services


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    company: str
    notifications_muted: bool
    sound_when_visible: bool
    status: str


class MeIn(Schema):
    """Only the fields sent are changed."""

    notifications_muted: bool | None = None
    sound_when_visible: bool | None = None


class BranchOut(Schema):
    id: int
    name: str
    region: str
    timezone: str
    is_active: bool
    is_default: bool


class BranchIn(Schema):
    name: str
    region: str = ""
    timezone: str
    is_active: bool = True


class PersonOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    is_active: bool
    branch_ids: list[int]


me_router = Router(tags=["me"])
branches_router = Router(tags=["branches"])
team_router = Router(tags=["team"])


def _company(request: AuthenticatedRequest):  # type: ignore[no-untyped-def]
    company = getattr(request, "tenant", None)
    if company is None or not company.pk:
        raise HttpError(404, "Not a company host")
    return company


def _admin(request: AuthenticatedRequest) -> None:
    _company(request)
    if not request.user.is_company_admin:
        raise HttpError(403, "Company admins only")


@me_router.get("", response=answers({200: MeOut}, *ANY))
def me(request: AuthenticatedRequest) -> dict[str, object]:
    company = _company(request)
    user = request.user
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "company": company.slug,
        "notifications_muted": user.notifications_muted,
        "sound_when_visible": user.sound_when_visible,
        "status": user.status,
    }


@me_router.patch("", response=answers({200: MeOut}, *ANY, 422))
def me_update(request: AuthenticatedRequest, payload: MeIn) -> dict[str, object]:
    """The per-user sound and notification choices: the mute of sounds and browser
    notifications, and the chime for new chats while the panel tab is in front."""
    changed = {name: value for name, value in payload.dict().items() if value is not None}
    for name, value in changed.items():
        setattr(request.user, name, value)
    if changed:
        request.user.save(update_fields=list(changed))
    return me(request)


@branches_router.get("", response=answers({200: list[BranchOut]}, *ANY))
def branch_list(request: AuthenticatedRequest):  # type: ignore[no-untyped-def]
    _company(request)
    return list(selectors.branch_list())


@branches_router.post("", response=answers({201: BranchOut}, *ANY, 422))
def branch_create(request: AuthenticatedRequest, payload: BranchIn):  # type: ignore[no-untyped-def]
    _admin(request)
    branch = services.branch_create(
        name=payload.name,
        region=payload.region,
        timezone_name=payload.timezone,
        is_active=payload.is_active,
        actor=request.user,
    )
    return 201, branch


@team_router.get("", response=answers({200: list[PersonOut]}, *ANY))
def team_list(request: AuthenticatedRequest) -> list[dict[str, object]]:
    _admin(request)
    return [
        {
            "id": p.pk,
            "email": p.email,
            "full_name": p.full_name,
            "role": p.role,
            "is_active": p.is_active,
            "branch_ids": [b.pk for b in p.branches.all()],
        }
        for p in selectors.team_list()
    ]
