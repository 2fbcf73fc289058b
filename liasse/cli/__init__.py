"""The `liasse` command line.

Each `liasse/cli/<topic>.py` module that defines `app` (a `typer.Typer`) and `NAME` becomes the
sub-command `liasse NAME`; a module may instead define `register(root)` to add top-level commands.
"""
