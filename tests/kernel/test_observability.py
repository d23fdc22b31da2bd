"""Structured logs carry the request's company; Sentry starts only with a DSN and tags it."""

from __future__ import annotations

import json
import logging

import pytest
import sentry_sdk

from messenger.logs import structured_formatter
from messenger.observability import sentry_init


def test_every_documented_setting_is_in_env_example():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    documented = set(re.findall(r"^([A-Z_]+)=", (root / ".env.example").read_text(), re.M))
    read = set()
    for path in (root / "platform" / "messenger" / "settings").glob("*.py"):
        read |= set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', path.read_text()))
        read |= set(re.findall(r'secret\(\s*"([A-Z_]+)"', path.read_text()))
    assert read - documented == set()


@pytest.mark.django_db
def test_request_log_lines_are_json_with_the_company(acme, caplog):
    handler = logging.StreamHandler()
    handler.setFormatter(structured_formatter(as_json=True))
    records: list[str] = []
    handler.emit = lambda record: records.append(handler.format(record))  # type: ignore[method-assign]
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        acme.login().get("/settings/branches/999999/")  # a 404 is logged by django.request
    finally:
        logger.removeHandler(handler)
    line = json.loads(records[-1])
    assert line["company"] == "co_acme"
    assert line["level"] == "warning"
    assert "request_id" in line


def test_sentry_is_not_initialised_without_a_dsn(settings):
    settings.SENTRY_DSN = ""
    assert sentry_init() is False


@pytest.mark.django_db
def test_sentry_events_are_tagged_with_the_company(acme, settings):
    sent: list[dict] = []
    settings.SENTRY_DSN = "http://public@127.0.0.1:9/1"
    assert sentry_init() is True
    client = sentry_sdk.get_client()
    client.transport.capture_envelope = lambda envelope: sent.append(envelope)  # type: ignore[method-assign]
    try:
        acme.login().get("/dialogs/")
        with sentry_sdk.new_scope():
            pass
        scope_tags = sentry_sdk.get_isolation_scope()._tags
        assert scope_tags.get("company") == "co_acme"
    finally:
        sentry_sdk.init(dsn=None)
