"""Routing (roadmap 1–4, 12, 15, 16): region → branch, business hours, operator status and
load → operator, escalation, transfers. `policy` decides (pure); `services` apply it."""
