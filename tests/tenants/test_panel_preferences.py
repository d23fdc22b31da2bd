"""The operator's own sound and notification choices, saved on the server for every tab."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_new_chat_sound_in_an_open_tab_is_a_per_user_choice_kept_on_the_server(acme):
    operator = acme.login("op@example.com")
    assert operator.get("/api/v1/me").json()["sound_when_visible"] is True
    changed = operator.patch(
        "/api/v1/me", {"sound_when_visible": False}, content_type="application/json"
    )
    assert changed.status_code == 200
    assert (changed.json()["sound_when_visible"], changed.json()["notifications_muted"]) == (
        False,
        False,
    )
    # the panel starts with the saved choice, and the admin's own is untouched
    page = operator.get("/dialogs/").content.decode()
    assert 'data-sound-visible="0"' in page
    assert re.search(r'id="notify-visible" role="switch" aria-checked="false"', page)
    assert acme.login().get("/api/v1/me").json()["sound_when_visible"] is True
    # the mute alone still changes only the mute
    muted = operator.patch(
        "/api/v1/me", {"notifications_muted": True}, content_type="application/json"
    ).json()
    assert (muted["notifications_muted"], muted["sound_when_visible"]) == (True, False)
