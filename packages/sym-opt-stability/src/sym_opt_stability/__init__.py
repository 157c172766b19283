"""sym-opt-stability: symcore plugin for numerically stable rewrites (log1p, softplus...).

Not implemented yet: it registers no rewrites.  The plugin hooks live in
:mod:`sym_opt_stability.plugin`, published through the ``symcore.plugins`` entry point group.
"""
