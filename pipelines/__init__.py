"""Prefect flows that wire the `ingest` stages."""
