"""sym-sparse: symcore plugin for sparse matrix Types and Ops (scipy.sparse).

Not implemented yet: it registers no Ops or Types.  The plugin hooks live in
:mod:`sym_sparse.plugin`, published through the ``symcore.plugins`` entry point group.
"""
