"""The superadmin console for platform staff, on the base host, with its audit trail."""
