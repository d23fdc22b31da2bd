"""Conversations and messages: services (writes), selectors (reads), events and recipients."""
