"""The widget's build (widget-cdn/dist): names, content hashes and byte budgets.

Brotli sizes of the built files are deterministic (same sources, same esbuild), so the budgets
are plain assertions: loader.js ≤ 2 KB, loader + config before any interaction ≤ 10 KB in two
requests, the whole chat UI (frame page, widget.js, emoji chunk) ≤ 40 KB. The numbers and the
measuring code are bench/widget_size.py's, which prints the same figures as a table.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
WIDGET_DIR = REPO_DIR / "widget-cdn"
DIST_DIR = WIDGET_DIR / "dist"
HASHED = re.compile(r"^(?P<stem>[a-z]+)\.(?P<hash>[0-9a-f]{12})\.js$")


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_widget_size", REPO_DIR / "bench" / "widget_size.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


bench = _bench()


def built_manifest(dist_dir: Path) -> dict[str, str]:
    """`dist_dir/manifest.json`, building widget-cdn (the widget and the panel) first when
    scripts/setup.sh has not."""
    if not (dist_dir / "manifest.json").exists():
        if not (WIDGET_DIR / "node_modules").exists():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=WIDGET_DIR, check=True
            )
        subprocess.run(["npm", "run", "--silent", "build"], cwd=WIDGET_DIR, check=True)
    return json.loads((dist_dir / "manifest.json").read_text())


@pytest.fixture(scope="module")
def manifest() -> dict[str, str]:
    return built_manifest(DIST_DIR)


def br(data: bytes) -> int:
    return bench.brotli_size(data)


def test_manifest_names_every_file_and_hashes_match_content(manifest: dict[str, str]) -> None:
    assert set(manifest) == {"loader.js", "widget.js", "emoji.js"}
    assert manifest["loader.js"] == "loader.js"  # the one name sites embed: never hashed
    for logical, name in manifest.items():
        data = (DIST_DIR / name).read_bytes()
        if logical == "loader.js":
            continue
        match = HASHED.match(name)
        assert match, f"{logical} → {name} is not <stem>.<12 hex>.js"
        assert f"{match['stem']}.js" == logical
        assert match["hash"] == hashlib.sha256(data).hexdigest()[:12], f"stale hash in {name}"
    built = {p.name for p in DIST_DIR.iterdir()} - {"manifest.json"}
    assert built == set(manifest.values()), "dist/ holds files the manifest does not name"
    # The widget loads its emoji chunk by the hashed name the build gave it.
    assert manifest["emoji.js"] in (DIST_DIR / manifest["widget.js"]).read_text()


def test_loader_fits_its_budget(manifest: dict[str, str]) -> None:
    size = br((DIST_DIR / manifest["loader.js"]).read_bytes())
    assert size <= bench.BUDGET_LOADER_BR, f"loader.js is {size} B brotli"


def test_before_interaction_fits_in_two_requests(manifest: dict[str, str]) -> None:
    loader = (DIST_DIR / manifest["loader.js"]).read_bytes()
    config = json.dumps(bench.SAMPLE_CONFIG, ensure_ascii=False).encode()
    total = br(loader) + br(config)
    assert total <= bench.BUDGET_BEFORE_BR, f"loader + config is {total} B brotli"
    # The only URLs the loader builds: the config (fetched at once) and the frame (on demand).
    text = loader.decode()
    assert text.count("fetch(") == 1
    assert "/widget/v1/inboxes/" in text and "/widget/frame/" in text


def test_whole_chat_ui_fits_its_budget(manifest: dict[str, str]) -> None:
    frame = bench.frame_html(manifest["widget.js"])
    parts = [frame, *((DIST_DIR / manifest[n]).read_bytes() for n in ("widget.js", "emoji.js"))]
    total = sum(br(part) for part in parts)
    assert total <= bench.BUDGET_FULL_BR, f"the chat UI is {total} B brotli"


def test_built_files_name_no_third_party_host(manifest: dict[str, str]) -> None:
    for name in manifest.values():
        text = (DIST_DIR / name).read_text()
        urls = set(re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE))
        assert urls <= {"http://www.w3.org"}, f"{name} names {urls}"  # the SVG namespace


def test_widget_sources_name_no_host() -> None:
    """omit-lockfile-registry-resolved keeps package hosts out of package-lock.json; nothing
    else here names a host either (but the SVG namespace)."""
    lock = json.loads((WIDGET_DIR / "package-lock.json").read_text())
    assert not [name for name, entry in lock["packages"].items() if "resolved" in entry]
    files = [
        p
        for p in WIDGET_DIR.rglob("*")
        if p.is_file() and not {"node_modules", "dist"} & set(p.relative_to(WIDGET_DIR).parts)
    ]
    assert files
    for path in files:
        hosts = set(re.findall(r"https?://([^/\s\"'`)]+)", path.read_text(errors="replace")))
        assert hosts <= {"www.w3.org"}, f"{path} names {hosts}"
