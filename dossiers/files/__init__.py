"""Customer files moving through circuits: the state machine, decisions and attachments."""
