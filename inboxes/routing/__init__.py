"""Routing: region → branch, business hours, operator status and load → operator,
escalation, transfers. `policy` decides (pure); the capability modules apply it (see
services.py for the list); `listeners` hears the conversation events."""
