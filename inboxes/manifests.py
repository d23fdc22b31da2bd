"""The manifests of the front-end builds (widget-cdn/scripts/build.mjs): logical names
(`widget.js`, `dialogs.js`) to the content-hashed files built, read again when rebuilt."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings

# The operator panel's bundles: served as static files under panel/dist/.
PANEL_DIST_DIR = Path(settings.REPO_DIR) / "inboxes" / "static" / "panel" / "dist"
PANEL_STATIC_PREFIX = "panel/dist/"


@lru_cache(maxsize=8)
def _read(path: Path, mtime: float) -> dict[str, str]:
    return json.loads(path.read_text())


def built_files(dist_dir: Path) -> dict[str, str]:
    """`dist_dir/manifest.json`, or {} before the first build."""
    path = dist_dir / "manifest.json"
    if not path.exists():
        return {}
    return _read(path, path.stat().st_mtime)
