"""sym-backend-cuda: symcore plugin for a CUDA backend (device arrays, transfer Ops, CUDA kernels).

Not implemented yet: it registers no backend.  The plugin hooks live in
:mod:`sym_backend_cuda.plugin`, published through the ``symcore.plugins`` entry point group.
"""
