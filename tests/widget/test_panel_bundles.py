"""The operator panel's build (inboxes/static/panel/dist, from inboxes/panel/frontend by
widget-cdn/scripts/build.mjs): names, content hashes, the template tag, and byte budgets.

Budgets are brotli sizes with about 15% headroom over what was measured when the panel
moved to TypeScript (panel.js 4,260 B, dialogs.js 8,796 B, inbox.js 515 B): a bundle that
grows past one should be looked at, not waved through.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess

import pytest

from inboxes.manifests import PANEL_DIST_DIR
from inboxes.templatetags.panel_assets import panel_script
from tests.widget.test_size_budget import WIDGET_DIR, br, built_manifest

HASHED = re.compile(r"^(?P<stem>[a-z]+)\.(?P<hash>[0-9a-f]{12})\.js$")
BUDGETS_BR = {"panel.js": 4_900, "dialogs.js": 10_100, "inbox.js": 600}


@pytest.fixture(scope="module")
def manifest() -> dict[str, str]:
    return built_manifest(PANEL_DIST_DIR)


def test_the_manifest_names_every_bundle_by_its_content_hash(manifest: dict[str, str]) -> None:
    assert set(manifest) == set(BUDGETS_BR)
    for logical, name in manifest.items():
        match = HASHED.match(name)
        assert match, f"{logical} → {name} is not <stem>.<12 hex>.js"
        assert f"{match['stem']}.js" == logical
        data = (PANEL_DIST_DIR / name).read_bytes()
        assert match["hash"] == hashlib.sha256(data).hexdigest()[:12], f"stale hash in {name}"
    built = {p.name for p in PANEL_DIST_DIR.iterdir()} - {"manifest.json"}
    assert built == set(manifest.values()), "dist/ holds files the manifest does not name"


def test_the_template_tag_names_the_built_file(manifest: dict[str, str]) -> None:
    assert panel_script("dialogs.js") == f"/static/panel/dist/{manifest['dialogs.js']}"


@pytest.mark.parametrize("logical", sorted(BUDGETS_BR))
def test_each_panel_bundle_fits_its_budget(manifest: dict[str, str], logical: str) -> None:
    size = br((PANEL_DIST_DIR / manifest[logical]).read_bytes())
    assert size <= BUDGETS_BR[logical], f"{logical} is {size} B brotli"


def test_the_panel_shares_the_live_client_and_protocol(manifest: dict[str, str]) -> None:
    """One live client: the panel's socket code is the widget's (its 4429 pause, its
    ping), and the Dialogs page refuses a reply longer than the generated limit."""
    hub = (PANEL_DIST_DIR / manifest["panel.js"]).read_text()
    assert "/ws/panel/" in hub and "4429" in hub and '"ping"' in hub
    assert "1e4" in (PANEL_DIST_DIR / manifest["dialogs.js"]).read_text()


@pytest.mark.skipif(not (WIDGET_DIR / "node_modules").exists(), reason="npm ci has not run")
def test_the_widget_and_the_panel_typecheck() -> None:
    """`npm run typecheck`: one strict tsc run over the widget, the shared modules (with the
    generated protocol types) and the panel's sources."""
    npm = shutil.which("npm")
    assert npm, "npm is missing"
    result = subprocess.run(
        [npm, "run", "--silent", "typecheck"], cwd=WIDGET_DIR, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
