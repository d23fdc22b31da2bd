"""`{% panel_script "dialogs.js" %}`: the URL of the panel's built bundle of that name
(`panel/dist/dialogs.<hash>.js`, from the build's manifest), so a new build busts caches."""

from __future__ import annotations

from django import template
from django.templatetags.static import static

from inboxes.manifests import PANEL_DIST_DIR, PANEL_STATIC_PREFIX, built_files

register = template.Library()


@register.simple_tag
def panel_script(name: str) -> str:
    built = built_files(PANEL_DIST_DIR).get(name)
    if not built:
        # Not built (widget-cdn: npm run build, which scripts/setup.sh runs): say so loudly in
        # the page rather than serve a stale or missing file under a guessed name.
        return static(f"{PANEL_STATIC_PREFIX}missing-build-run-npm-run-build/{name}")
    return static(PANEL_STATIC_PREFIX + built)
