"""sym-backend-opencl: symcore plugin for an OpenCL backend (kernels through pyopencl).

Not implemented yet: it registers no backend.  The plugin hooks live in
:mod:`sym_backend_opencl.plugin`, published through the ``symcore.plugins`` entry point group.
"""
