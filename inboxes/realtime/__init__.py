"""Real-time delivery: WebSocket consumers for visitors and operators, SSE fallback, presence."""
