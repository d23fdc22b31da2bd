"""Runs a production container's command with its Lockbox secret's entries in the environment.

    python lockbox_env.py --secret-id <id> -- uvicorn messenger.asgi:application ...

The instance's service account token comes from the metadata service; the secret's current
version is read from the Lockbox payload API; each entry (key = variable name) is added to the
environment and the command replaces this process. Standard library only: it runs before the
application and must not depend on it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

METADATA = "http://169.254.169.254/computeMetadata/v1"
METADATA_TOKEN_URL = f"{METADATA}/instance/service-accounts/default/token"
LOCKBOX_PAYLOAD_URL = (
    "https://payload.lockbox.api.cloud.yandex.net/lockbox/v1/secrets/{secret_id}/payload"
)
TIMEOUT_SECONDS = 5.0
# Right after an instance boots (or a role is granted) the metadata service or IAM may lag.
ATTEMPTS = 6

T = TypeVar("T")


class SecretError(Exception):
    """The secret cannot be turned into environment variables."""


def _get_json(url: str, headers: Mapping[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(url, headers=dict(headers))  # noqa: S310 (fixed https/metadata URLs)
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        return json.load(response)


def instance_token(*, url: str | None = None) -> str:
    """IAM token of the service account attached to this instance."""
    body = _get_json(url or METADATA_TOKEN_URL, {"Metadata-Flavor": "Google"})
    return str(body["access_token"])


def secret_entries(*, secret_id: str, token: str, url: str | None = None) -> dict[str, str]:
    """Entries of the secret's current version, key -> text value."""
    template = url or LOCKBOX_PAYLOAD_URL
    body = _get_json(template.format(secret_id=secret_id), {"Authorization": f"Bearer {token}"})
    entries: dict[str, str] = {}
    for entry in body.get("entries", []):
        if "textValue" not in entry:
            raise SecretError(f"entry {entry.get('key')!r} is not text; only text entries are used")
        entries[entry["key"]] = entry["textValue"]
    return entries


def merged_environment(base: Mapping[str, str], secrets: Mapping[str, str]) -> dict[str, str]:
    """The process environment plus the secrets; a name set in both is a configuration error."""
    clash = sorted(set(base) & set(secrets))
    if clash:
        raise SecretError(f"set both in the container and in Lockbox: {', '.join(clash)}")
    return {**base, **secrets}


def with_retries(
    action: Callable[[], T],
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run action, retrying network and HTTP failures with exponential backoff."""
    for attempt in range(attempts):
        try:
            return action()
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if attempt == attempts - 1:
                raise SecretError(f"giving up after {attempts} attempts: {exc}") from exc
            sleep(2.0**attempt)
    raise AssertionError("unreachable")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secret-id", required=True, help="Lockbox secret ID")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given after --")
    try:
        secrets = with_retries(
            lambda: secret_entries(secret_id=args.secret_id, token=instance_token())
        )
        environment = merged_environment(os.environ, secrets)
    except (SecretError, KeyError, ValueError) as exc:
        print(f"lockbox_env: {exc}", file=sys.stderr)
        return 1
    os.execvpe(command[0], command, environment)  # noqa: S606 (the container's own command)


if __name__ == "__main__":
    sys.exit(main())
