"""A company's structure in its own schema: branches, operators' membership, invitations."""
