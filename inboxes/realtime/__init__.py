"""Real-time delivery: the WebSocket consumers for visitors and operators (entry points), their
authentication and throttling. Presence is `inboxes.presence`, the event stream (SSE) fallback
`inboxes.widget_api.sse`."""
