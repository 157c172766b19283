"""Linkers: turn a rewritten FunctionGraph into something that runs it."""
