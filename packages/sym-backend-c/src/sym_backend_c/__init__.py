"""sym-backend-c: symcore plugin for a C backend (generated C compiled with the system compiler).

Not implemented yet: it registers no backend.  The plugin hooks live in
:mod:`sym_backend_c.plugin`, published through the ``symcore.plugins`` entry point group.
"""
