"""Helpers for testing symcore and its plugins (small Ops, comparison utilities)."""
