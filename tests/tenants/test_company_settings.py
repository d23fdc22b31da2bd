"""The company settings page: name, language, time zone and logo (validated, served, shown in
the panel and given to the widget), and one widget colour and position for every inbox."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context
from PIL import Image

from inboxes.models import Inbox
from tenants.companies.models import Company
from tests.conftest import OPERATOR_EMAIL, TenantWorld
from tests.inboxes.conftest import ORIGIN, make_inbox

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path)


def _png(size: tuple[int, int] = (40, 40)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#ff8800").save(buffer, format="PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def _company_post(client: Client, **extra: object):  # type: ignore[no-untyped-def]
    data = {"form": "company", "name": "Acme Ltd", "language": "ru", "timezone": "Asia/Omsk"}
    data.update(extra)
    return client.post("/settings/company/", data)


def test_an_admin_renames_the_company_and_sets_its_language_and_time_zone(acme: TenantWorld):
    client = acme.login()
    assert client.get("/settings/company/").status_code == 200
    response = _company_post(client)
    assert response.status_code == 302
    company = Company.objects.get(pk=acme.company.pk)
    assert (company.name, company.language, company.timezone) == ("Acme Ltd", "ru", "Asia/Omsk")


def test_only_admins_open_the_company_page(acme: TenantWorld):
    operator = acme.login(OPERATOR_EMAIL)
    assert operator.get("/settings/company/").status_code == 403
    assert _company_post(operator).status_code == 403
    assert Company.objects.get(pk=acme.company.pk).name == "Acme"


def test_a_logo_is_stored_served_and_shown_in_the_panel_and_the_widget(acme: TenantWorld):
    client = acme.login()
    assert _company_post(client, logo=_png()).status_code == 302
    company = Company.objects.get(pk=acme.company.pk)
    path = company.logo_path
    assert path.startswith("/logos/acme/acme-") and path.endswith(".png")
    # shown in the panel's sidebar, from the company's own host
    assert f'src="{path}"' in client.get("/dialogs/").content.decode()
    served = client.get(path)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")
    # the widget gets an absolute address on the base host
    inbox = make_inbox(acme)
    config = Client(HTTP_HOST="localhost").get(
        f"/widget/v1/inboxes/{inbox.public_key}/config", HTTP_ORIGIN=ORIGIN
    )
    assert config.json()["logo_url"].endswith(path)
    assert Client(HTTP_HOST="localhost").get(path).status_code == 200


def test_a_logo_can_be_removed_and_its_old_address_stops_answering(
    acme: TenantWorld, django_capture_on_commit_callbacks
):
    client = acme.login()
    _company_post(client, logo=_png())
    old_path = Company.objects.get(pk=acme.company.pk).logo_path
    with django_capture_on_commit_callbacks(execute=True):
        _company_post(client, logo_remove="on")
    assert not Company.objects.get(pk=acme.company.pk).logo
    assert client.get(old_path).status_code == 404


@pytest.mark.parametrize(
    ("upload", "error"),
    [
        (SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>"), "PNG, JPEG, GIF or WebP"),
        (
            SimpleUploadedFile("logo.png", b"\x89PNG" + b"0" * (1024 * 1024)),
            "at most 1 MB",
        ),
        ("big", "at most 2048 pixels"),
    ],
)
def test_a_logo_that_is_no_image_or_too_big_is_refused(acme: TenantWorld, upload, error):  # type: ignore[no-untyped-def]
    if upload == "big":
        upload = _png((3000, 10))
    response = _company_post(acme.login(), logo=upload)
    assert response.status_code == 200
    assert error in response.content.decode()
    company = Company.objects.get(pk=acme.company.pk)
    assert not company.logo and company.name == "Acme"


def test_colour_and_position_apply_to_every_inbox(acme: TenantWorld):
    make_inbox(acme)
    response = acme.login().post("/settings/inboxes/", {"color": "#AA0044", "position": "left"})
    assert response.status_code == 302
    with schema_context(acme.company.schema_name):
        looks = set(Inbox.objects.values_list("color", "position"))
    assert looks == {("#aa0044", "left")}


def test_a_position_other_than_left_or_right_is_refused(acme: TenantWorld):
    response = acme.login().post("/settings/inboxes/", {"color": "#aa0044", "position": "top"})
    assert response.status_code == 200
    with schema_context(acme.company.schema_name):
        assert not Inbox.objects.filter(position="top").exists()
