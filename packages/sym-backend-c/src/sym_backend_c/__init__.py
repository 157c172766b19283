"""sym-backend-c: symcore's C backend for ``device=cpu``.

Each compiled graph becomes one generated C module (``codegen``), built with the system
compiler through cffi (``build``) and kept in the on-disk cache (``cache``); ``linker.CLinker``
is what ``symcore.function`` uses. The plugin hooks (``plugin``) register the backend
through the ``symcore.plugins`` entry point group; C code of Ops lives in ``ops``.
"""
