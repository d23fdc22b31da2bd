"""Browser-facing security headers: Content-Security-Policy with per-request nonces (django-csp),
HSTS in production, and the demo page's switch.

Pages run only the scripts Messenger serves with this response's nonce ('strict-dynamic':
scripts they load are trusted, anything injected is not); nothing may frame them; styles come
from our files only. The widget frame and attachments set their own, stricter policies
(inboxes/widget_api/cdn.py, inboxes/conversations/files_view.py), which this one leaves alone.
"""

from csp.constants import NONCE, NONE, SELF

from .env import DEBUG, env

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [NONCE, "'strict-dynamic'", SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    },
}

# HTTPS only, for a year, for the base host and every company's subdomain (one wildcard
# certificate covers them). Sent on HTTPS responses only, so development over HTTP is untouched.
SECURE_HSTS_SECONDS: int = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"

# /demo/: a pretend customer site with the demo company's widget. It names that company's
# widget key, so it exists in development and the end-to-end tests, never in production.
DEMO_PAGE: bool = env.bool("DEMO_PAGE", default=DEBUG)
