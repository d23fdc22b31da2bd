"""The widget's API: what a visitor's browser calls with an inbox's public key or token."""
