"""The Russian catalogue: complete, compiled, in step with the source, and used by the panel.

Refresh it after adding strings (from the repository root):

    PYTHONPATH=.:platform DJANGO_DEBUG=1 .venv/bin/python manage.py makemessages -l ru \
        --ignore=.venv --ignore=node_modules --ignore=widget-cdn --ignore=tests --ignore=bench \
        --no-location
    # translate the new entries in platform/messenger/locale/ru/LC_MESSAGES/django.po, then
    cd platform/messenger/locale/ru/LC_MESSAGES && msgfmt --check -o django.mo django.po
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from tests.conftest import TenantWorld

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
PO_PATH = LOCALE_DIR / "ru" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
MAKEMESSAGES_IGNORE = [".venv", "node_modules", "widget-cdn", "tests", "bench"]

_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")\s*$")
_PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[sdifrx]|\{\{\s*\w+\s*\}\}")


@dataclass
class Entry:
    fields: dict[str, str]
    flags: set[str]
    obsolete: bool

    @property
    def msgid(self) -> str:
        return self.fields.get("msgid", "")

    @property
    def translations(self) -> list[str]:
        return [v for k, v in self.fields.items() if k.startswith("msgstr")]


def parse_po(path: Path) -> list[Entry]:
    """A minimal PO reader: entries of C-style quoted strings; obsolete (#~) ones are marked."""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    flags: set[str] = set()
    obsolete = False
    key: str | None = None

    def flush() -> None:
        nonlocal fields, flags, obsolete, key
        if fields or obsolete:
            entries.append(Entry(fields, flags, obsolete))
        fields, flags, obsolete, key = {}, set(), False, None

    def translated() -> bool:
        return any(k.startswith("msgstr") for k in fields)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#"):
            if translated():  # a new entry that follows without a blank line
                flush()
            if line.startswith("#~"):
                obsolete = True
            elif line.startswith("#,"):
                flags |= {f.strip() for f in line[2:].split(",")}
        elif match := _KEYWORD.match(line):
            if match.group(1) in ("msgctxt", "msgid") and translated():
                flush()
            key = match.group(1)
            fields[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and key is not None:
            fields[key] += ast.literal_eval(line)
        else:
            raise AssertionError(f"unreadable line in {path}: {raw!r}")
    flush()
    return entries


def placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def catalogue(mo_path: Path) -> dict[object, str]:
    with mo_path.open("rb") as fp:
        return dict(gettext.GNUTranslations(fp)._catalog)  # type: ignore[attr-defined]


def test_every_string_has_a_russian_translation_and_nothing_is_fuzzy():
    entries = [e for e in parse_po(PO_PATH) if not e.obsolete]
    header, messages = entries[0], entries[1:]
    assert header.msgid == ""
    assert "fuzzy" not in header.flags
    assert "charset=UTF-8" in header.fields["msgstr"]
    assert "Language: ru\n" in header.fields["msgstr"]
    assert "Plural-Forms: nplurals=4;" in header.fields["msgstr"]
    assert len(messages) > 100  # every app's strings, not just a few

    fuzzy = [e.msgid for e in messages if "fuzzy" in e.flags]
    untranslated = [e.msgid for e in messages if not all(t.strip() for t in e.translations)]
    assert fuzzy == []
    assert untranslated == []


def test_translations_keep_every_placeholder():
    broken = []
    for entry in parse_po(PO_PATH)[1:]:
        if entry.obsolete:
            continue
        expected = placeholders(entry.msgid)
        for translation in entry.translations:
            if placeholders(translation) != expected and not (
                "msgid_plural" in entry.fields and set(placeholders(translation)) <= set(expected)
            ):
                broken.append((entry.msgid, translation))
    assert broken == []


def test_main_office_is_translated_at_runtime():
    from django.utils import translation

    with translation.override("ru"):
        assert translation.gettext("Main office") == "Головной офис"
        assert translation.gettext("Dialogs") == "Диалоги"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="msgfmt (gettext) is not installed")
def test_compiled_catalogue_is_up_to_date_with_the_po(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(PO_PATH)], check=True)
    assert MO_PATH.exists(), "run msgfmt to compile django.mo"
    assert catalogue(MO_PATH) == catalogue(fresh), "django.mo is stale: recompile django.po"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="xgettext (gettext) is not installed")
def test_catalogue_holds_every_string_marked_in_the_source(tmp_path, monkeypatch):
    """makemessages into a scratch copy: any msgid it adds is missing from the real catalogue."""
    scratch = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, scratch)
    monkeypatch.chdir(settings.REPO_DIR)
    assert not Path("locale").exists()  # makemessages would write there too
    original = PO_PATH.read_bytes()
    try:
        # Ignoring every `locale` dir keeps makemessages from adopting the real one as a target.
        with override_settings(LOCALE_PATHS=[scratch]):
            call_command(
                "makemessages",
                locale=["ru"],
                no_location=True,
                verbosity=0,
                ignore_patterns=[*MAKEMESSAGES_IGNORE, "locale"],
            )
    finally:
        touched = PO_PATH.read_bytes() != original
        if touched:
            PO_PATH.write_bytes(original)
    assert not touched, "makemessages wrote to the real catalogue"
    ours = {e.msgid for e in parse_po(PO_PATH) if not e.obsolete}
    source = {
        e.msgid for e in parse_po(scratch / "ru" / "LC_MESSAGES" / "django.po") if not e.obsolete
    }
    assert len(source) > 100
    assert sorted(source - ours) == [], "new strings: rerun makemessages and translate them"


@pytest.mark.django_db
def test_login_page_follows_company_language_then_the_users_choice(acme: TenantWorld):
    acme.company.language = "ru"
    acme.company.save()
    client = acme.client()

    russian = client.get("/login/")
    assert russian.status_code == 200
    assert russian["Content-Language"] == "ru"
    assert "Войти" in russian.text
    assert "Log in" not in russian.text

    switched = client.post("/language/", {"language": "en", "next": "/login/"})
    assert switched.status_code == 302
    assert switched["Location"] == "/login/"

    english = client.get("/login/")
    assert english["Content-Language"] == "en"
    assert "Log in" in english.text
    assert "Войти" not in english.text
