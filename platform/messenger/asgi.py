"""ASGI entry point: Django for HTTP, Channels consumers for WebSockets."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "messenger.settings")
# Requests and socket work run on many threads here: they borrow connections from one bounded
# pool per process (settings/database.py) instead of keeping one per thread.
os.environ.setdefault("DB_POOL", "1")
os.environ.setdefault("DB_APPLICATION_NAME", "messenger-web")

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

django_application = get_asgi_application()

from inboxes.realtime.routing import websocket_urlpatterns  # noqa: E402
from messenger.inputs import BodyLimitMiddleware  # noqa: E402
from messenger.realtime import bind_server_loop  # noqa: E402

application = bind_server_loop(
    ProtocolTypeRouter(
        {
            # Django types its handler's scope as a dict, the ASGI spec as a mapping.
            "http": BodyLimitMiddleware(django_application),  # type: ignore[arg-type]
            # Consumers authenticate and check origins themselves: the panel by session cookie
            # and same-host Origin, the widget by token and the inbox's domain allowlist.
            "websocket": URLRouter(websocket_urlpatterns),
        }
    )
)
