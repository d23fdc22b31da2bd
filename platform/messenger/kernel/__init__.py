"""The shared kernel's Django app: management commands and start-up wiring (Sentry, logs)."""
