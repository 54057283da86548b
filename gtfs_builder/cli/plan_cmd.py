"""Placeholder: replaced by the owner of this command."""

COMMANDS: list = []
