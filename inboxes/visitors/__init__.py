"""The visitor's identity and access: tokens, tickets, the inbox allowlist, rate limits and
ending sessions. Entry points (the widget API, its event stream, the visitor socket) call it."""
