"""Compiling graphs into callables: ``function``, shared variables, In/Out, modes."""
