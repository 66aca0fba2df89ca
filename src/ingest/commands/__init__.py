"""Subcommands of `ingest`, one module per area."""
