"""The evidence page: what was signed, by whom, how they were authenticated, and at what level."""
