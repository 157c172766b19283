"""Theano's ``theano.sandbox.cuda``: GPU-only, replaced by the sym-backend-cuda plugin.

Importing it raises an ImportError that says how to run on a GPU with symcore, rather than
a module that half works.
"""

from symcore.sandbox._gpu_stub import gpu_import_error

raise gpu_import_error("symcore.sandbox.cuda")
