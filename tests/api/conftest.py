"""The conversation fixtures (an inbox of `acme`, a visitor session) for the API-wide tests."""

from tests.inboxes.conftest import inbox, visitor  # noqa: F401  (fixtures)
