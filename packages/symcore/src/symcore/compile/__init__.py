"""Compiling graphs into callables: ``function``, shared variables, In/Out, modes."""

from symcore.compile.io import Container, In, Out, SymbolicInput, SymbolicOutput  # noqa: E402,F401
from symcore.compile.sharedvalue import (  # noqa: E402,F401
    SharedVariable, TensorSharedVariable, shared, shared_constructor,
)
from symcore.compile.function_maker import FunctionMaker, UnusedInputError  # noqa: E402,F401
from symcore.compile.function_runtime import Function  # noqa: E402,F401
from symcore.compile.function import function  # noqa: E402,F401
