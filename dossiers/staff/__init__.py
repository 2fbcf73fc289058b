"""Staff users, roles and teams: who may decide which step and see which customers."""
