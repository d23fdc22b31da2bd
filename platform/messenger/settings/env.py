"""The one typed reader of environment variables; every setting comes through it.

Every variable read here is documented in `.env.example` at the repository root.
"""

from __future__ import annotations

from environs import Env

env = Env()
# A local `.env` (never committed) is read for development convenience only.
env.read_env(recurse=False)

DEBUG: bool = env.bool("DJANGO_DEBUG", default=False)


def secret(name: str, *, dev_default: str) -> str:
    """A secret that has a development default only while DEBUG is on."""
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return dev_default
    raise RuntimeError(f"{name} must be set when DJANGO_DEBUG is off")
