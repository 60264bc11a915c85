"""Who may do what: API tokens with roles."""
