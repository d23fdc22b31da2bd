"""Django's file email backend, with its folder taken from the EMAIL_FILE_PATH variable.

The product's settings do not read EMAIL_FILE_PATH (only EMAIL_BACKEND), so the stock
`django.core.mail.backends.filebased.EmailBackend` fails in the Celery worker with
"expected str ... not NoneType". Once the settings read it, the e2e stack can use the stock
backend again; this one behaves the same either way.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.mail.backends import filebased


class EmailBackend(filebased.EmailBackend):
    def __init__(self, *args: Any, file_path: str | None = None, **kwargs: Any) -> None:
        file_path = (
            file_path or getattr(settings, "EMAIL_FILE_PATH", None) or os.environ["EMAIL_FILE_PATH"]
        )
        super().__init__(*args, file_path=file_path, **kwargs)
