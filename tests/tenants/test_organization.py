"""Company set-up: branches and the default branch, people, roles, invitations, deactivation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.models import User
from tenants.organization import services
from tenants.organization.models import Branch, Invitation
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def in_schema(world):  # type: ignore[no-untyped-def]
    return schema_context(world.company.schema_name)


def test_admin_creates_a_branch_from_the_settings_page(acme):
    client = acme.login()
    response = client.post(
        "/settings/branches/",
        {
            "name": "Yekaterinburg",
            "region": "Sverdlovsk Oblast",
            "timezone": "Asia/Yekaterinburg",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    with in_schema(acme):
        branch = Branch.objects.get(name="Yekaterinburg")
        assert (branch.region, branch.timezone, branch.is_default) == (
            "Sverdlovsk Oblast",
            "Asia/Yekaterinburg",
            False,
        )


def test_branch_with_a_duplicate_name_or_unknown_timezone_is_refused_with_reasons(acme):
    with in_schema(acme), pytest.raises(ValidationError) as caught:
        services.branch_create(name="north", region="", timezone_name="Nowhere/City")
    assert caught.value.message_dict == {
        "name": ["A branch with this name already exists."],
        "timezone": ["Unknown time zone."],
    }


def test_making_a_branch_default_leaves_exactly_one_default(acme):
    client = acme.login()
    with in_schema(acme):
        south = Branch.objects.get(name="South")
    client.post(f"/settings/branches/{south.pk}/default/")
    with in_schema(acme):
        assert list(Branch.objects.filter(is_default=True).values_list("name", flat=True)) == [
            "South"
        ]


def test_default_branch_cannot_be_deactivated(acme):
    with in_schema(acme):
        default = Branch.objects.get(is_default=True)
        with pytest.raises(ValidationError, match="default branch cannot be deactivated"):
            services.branch_update(
                branch=default, name=default.name, region="", timezone_name="UTC", is_active=False
            )


def test_inactive_branch_cannot_become_default(acme):
    with in_schema(acme):
        south = Branch.objects.get(name="South")
        services.branch_update(
            branch=south, name="South", region="", timezone_name="UTC", is_active=False
        )
        with pytest.raises(ValidationError):
            services.branch_set_default(branch=south)


def test_admin_creates_an_operator_who_can_then_log_in_on_the_company_host(acme):
    client = acme.login()
    with in_schema(acme):
        north = Branch.objects.get(name="North")
    response = client.post(
        "/settings/team/add/",
        {
            "email": "Ivan@Example.com",
            "full_name": "Ivan",
            "password": PASSWORD,
            "role": "operator",
            "branches": [north.pk],
        },
    )
    assert response.status_code == 302
    login = acme.client().post("/login/", {"username": "ivan@example.com", "password": PASSWORD})
    assert login.status_code == 302
    with in_schema(acme):
        ivan = User.objects.get(email="ivan@example.com")
        assert [b.name for b in ivan.branches.all()] == ["North"]


def test_invitation_email_link_lets_the_person_join_with_role_and_branches(
    acme, django_capture_on_commit_callbacks
):
    # given
    client = acme.login()
    with in_schema(acme):
        south = Branch.objects.get(name="South")
    # when the admin invites someone
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/settings/team/invite/",
            {
                "email": "new@example.com",
                "full_name": "",
                "role": "supervisor",
                "branches": [south.pk],
            },
        )
    # then an email with a link to the company's host is sent
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["new@example.com"]
    assert "Acme" in email.subject
    link = re.search(r"https://acme\.localhost/invite/(\S+)/", email.body)
    assert link
    # and the link lets the person join, logged in at once
    path = f"/invite/{link.group(1)}/"
    invitee = acme.client()
    assert invitee.get(path).status_code == 200
    joined = invitee.post(path, {"full_name": "Nina New", "password": PASSWORD})
    assert joined.status_code == 302
    assert invitee.get("/dialogs/").status_code == 200
    with in_schema(acme):
        nina = User.objects.get(email="new@example.com")
        assert nina.role == "supervisor"
        assert [b.name for b in nina.branches.all()] == ["South"]
    # and the link is spent
    assert acme.client().get(path).status_code == 404


def test_expired_invitation_link_is_refused(acme, django_capture_on_commit_callbacks):
    client = acme.login()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/settings/team/invite/", {"email": "late@example.com", "role": "operator"})
    path = re.search(r"https://acme\.localhost(/invite/\S+/)", mail.outbox[0].body).group(1)
    with in_schema(acme):
        Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = acme.client().post(path, {"full_name": "Late", "password": PASSWORD})
    assert response.status_code == 404
    assert "invalid or has expired" in response.content.decode()
    with in_schema(acme):
        assert not User.objects.filter(email="late@example.com").exists()


def test_inviting_someone_already_in_the_company_is_refused(acme):
    response = acme.login().post(
        "/settings/team/invite/", {"email": "op@example.com", "role": "operator"}
    )
    assert "Somebody in your company already has this email." in response.content.decode()
    assert mail.outbox == []


def test_deactivating_a_person_ends_their_sessions_at_once(acme):
    # given the operator is logged in
    operator_client = acme.login("op@example.com")
    assert operator_client.get("/dialogs/").status_code == 200
    with in_schema(acme):
        operator = User.objects.get(email="op@example.com")
    # when the admin deactivates them
    acme.login().post(f"/settings/team/{operator.pk}/active/", {"active": "0"})
    # then their very next request is anonymous and they cannot log in again
    response = operator_client.get("/dialogs/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    login = acme.client().post("/login/", {"username": "op@example.com", "password": PASSWORD})
    assert login.status_code == 200  # the form again, with an error
    with in_schema(acme):
        from django.contrib.sessions.models import Session

        assert not [
            s
            for s in Session.objects.all()
            if s.get_decoded().get("_auth_user_id") == str(operator.pk)
        ]


def test_the_last_admin_cannot_be_demoted_or_deactivated(acme):
    with in_schema(acme):
        admin = User.objects.get(email=acme.admin_email)
        operator = User.objects.get(email="op@example.com")
        with pytest.raises(ValidationError, match="at least one active admin"):
            services.operator_update(
                user=admin, full_name="A", role="operator", branch_ids=[], actor=operator
            )
        with pytest.raises(ValidationError, match="at least one active admin"):
            services.operator_deactivate(user=admin, actor=operator)
        # with a second admin, the first may step down
        UserFactory(role=User.Role.ADMIN)
        services.operator_update(
            user=admin, full_name="A", role="operator", branch_ids=[], actor=admin
        )
        assert User.objects.get(pk=admin.pk).role == "operator"


def test_operator_cannot_open_the_settings(acme):
    client = acme.login("op@example.com")
    assert client.get("/settings/team/").status_code == 403
    assert client.get("/settings/branches/").status_code == 403
    assert client.post("/settings/team/add/", {"email": "x@y.z"}).status_code == 403


def test_user_count_on_the_company_follows_active_people(acme):
    with in_schema(acme):
        services.operator_create(
            email="c@example.com", full_name="C", password=PASSWORD, role="operator"
        )
    acme.company.refresh_from_db()
    assert acme.company.user_count == 3  # admin, Olga, C


def _flashes(response) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def test_pending_invitations_show_their_role(acme):
    page = acme.login().get("/settings/team/").content.decode()
    row = re.search(r"<tr><td>invited@example\.com</td>.*?</tr>", page, re.S)
    assert row
    assert "<td>Operator</td>" in row.group(0)


def test_reinviting_an_address_says_which_invitation_it_replaces(acme):
    client = acme.login()
    invite = {"email": "twice@example.com", "full_name": "", "role": "supervisor"}
    first = client.post("/settings/team/invite/", invite, follow=True)
    assert _flashes(first) == [("success", "Invitation sent to twice@example.com.")]
    second = client.post("/settings/team/invite/", {**invite, "role": "admin"}, follow=True)
    [(level, text)] = _flashes(second)
    assert level == "success"
    assert text.startswith("Invitation sent to twice@example.com. It replaces the invitation of ")
    assert "as Supervisor; the link in that email no longer works." in text
    with in_schema(acme):
        pending = [
            i.role for i in Invitation.objects.filter(email="twice@example.com") if i.is_pending
        ]
        assert pending == ["admin"]


def test_an_operator_left_in_no_branch_is_warned_about(acme):
    client = acme.login()
    response = client.post(
        "/settings/team/add/",
        {
            "email": "lone@example.com",
            "full_name": "Lone",
            "password": PASSWORD,
            "role": "operator",
        },
        follow=True,
    )
    assert (
        "warning",
        "Lone is an operator in no branch: no chats will come to them until you add them to a "
        "branch.",
    ) in _flashes(response)
    with in_schema(acme):
        olga = User.objects.get(email="op@example.com")
    edited = client.post(
        f"/settings/team/{olga.pk}/", {"full_name": "Olga", "role": "operator"}, follow=True
    )
    assert [level for level, _ in _flashes(edited)] == ["success", "warning"]
    invited = client.post(
        "/settings/team/invite/",
        {"email": "nobranch@example.com", "full_name": "", "role": "operator"},
        follow=True,
    )
    assert [level for level, _ in _flashes(invited)] == ["success", "warning"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    russian = client.post(
        "/settings/team/invite/",
        {"email": "nobranch-ru@example.com", "full_name": "Нина", "role": "operator"},
        follow=True,
    )
    assert _flashes(russian)[-1] == (
        "warning",
        "Нина — оператор без филиала: чаты к нему не придут, пока вы не добавите его в филиал.",
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    # a supervisor, or an operator placed in a branch, is not warned about
    with in_schema(acme):
        north = Branch.objects.get(name="North")
    for email, role, branches in [
        ("sup@example.com", "supervisor", []),
        ("placed@example.com", "operator", [north.pk]),
    ]:
        response = client.post(
            "/settings/team/add/",
            {
                "email": email,
                "full_name": "X",
                "password": PASSWORD,
                "role": role,
                "branches": branches,
            },
            follow=True,
        )
        assert [level for level, _ in _flashes(response)] == ["success"]
