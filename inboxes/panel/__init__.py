"""The operator panel's "Dialogs" section: pages and its JSON API."""
