"""Users, roles and permissions, sessions, API tokens, and the login pages."""
