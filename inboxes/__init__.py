"""A company's inboxes and, as the product grows, contacts, conversations, routing, real time."""
