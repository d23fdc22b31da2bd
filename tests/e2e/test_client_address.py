"""The server believes X-Forwarded-For only from TRUSTED_PROXIES: uvicorn must not rewrite the
client address from proxy headers on its own (it trusts loopback peers by default), or anyone
on the machine's side of the network could pick their address and dodge per-address limits."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import LiveStack


def test_a_forwarded_for_header_from_an_untrusted_peer_does_not_change_the_client_address(
    demo_company: LiveStack,
) -> None:
    stack = demo_company
    key = stack.shell(
        "from django_tenants.utils import schema_context\n"
        "from inboxes.models import Inbox\n"
        "with schema_context('co_demo'):\n"
        "    print(Inbox.objects.order_by('pk').first().public_key)\n"
    ).strip()
    response = httpx.post(
        f"http://127.0.0.1:{stack.port}/widget/v1/inboxes/{key}/sessions",
        json={"page_url": "http://localhost/forwarded-test"},
        headers={
            "Host": f"localhost:{stack.port}",
            "Origin": f"http://localhost:{stack.port}",
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Proto": "https",
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    stored = stack.shell(
        "from django_tenants.utils import schema_context\n"
        "from inboxes.models import Contact\n"
        "with schema_context('co_demo'):\n"
        "    print(Contact.objects.filter(last_page_url__endswith='/forwarded-test')"
        ".order_by('-pk').values_list('ip_address', flat=True).first())\n"
    ).strip()
    assert stored == "127.0.0.1"
