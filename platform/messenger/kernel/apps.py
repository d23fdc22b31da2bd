"""App config of the shared kernel: initialises Sentry once Django is ready."""

from django.apps import AppConfig


class KernelConfig(AppConfig):
    name = "messenger.kernel"
    label = "kernel"

    def ready(self) -> None:
        from messenger.observability import sentry_init

        sentry_init()
        # Deadline handlers and domain-event listeners are registered by the apps that own
        # them, in their own `ready` (the kernel imports no app).
