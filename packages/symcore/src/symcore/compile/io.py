"""How ``function`` sees its inputs and outputs: ``In``/``Out`` specs and ``Container`` cells.

``In(x, value=..., name=..., update=..., mutable=..., borrow=...)`` describes one input of a
compiled function (a default value, a keyword name, a state update); ``Out(y, borrow=...)``
one output. A ``Container`` is a one-value storage cell: shared variables keep their value
in one, so every function using a shared variable reads and updates the same cell.
"""

from __future__ import annotations

import copy as _copy
from typing import Any

import numpy as np

from symcore.graph.basic import Variable

__all__ = ["Container", "In", "Out", "SymbolicInput", "SymbolicOutput", "copy_value"]


def copy_value(value: Any) -> Any:
    """A copy of ``value`` that shares no memory with it (ndarray fast path, else deepcopy)."""
    if type(value) is np.ndarray:
        return value.copy()
    cp = getattr(value, "copy", None)
    if cp is not None and callable(cp) and not isinstance(value, (dict, list)):
        try:
            return cp()
        except TypeError:
            pass
    return _copy.deepcopy(value)


class Container:
    """A storage cell ``storage = [value]`` for values of ``type``.

    Assigning ``container.value = v`` filters ``v`` through the type (``strict`` and
    ``allow_downcast`` as given); ``container.storage[0]`` is the raw cell that compiled
    functions read and write without checks.
    """

    __slots__ = ("type", "name", "storage", "strict", "allow_downcast", "readonly")

    def __init__(
        self,
        type: Any,
        storage: list | None = None,
        name: str | None = None,
        strict: bool = False,
        allow_downcast: bool | None = None,
        readonly: bool = False,
    ) -> None:
        self.type = type
        self.name = name
        self.storage = [None] if storage is None else storage
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.readonly = readonly

    @property
    def value(self) -> Any:
        return self.storage[0]

    @value.setter
    def value(self, new: Any) -> None:
        if self.readonly:
            raise TypeError(f"Cannot set the value of the read-only container {self.name}")
        if new is None:
            self.storage[0] = None
            return
        self.storage[0] = self.type.filter(
            new, strict=self.strict, allow_downcast=self.allow_downcast
        )

    data = value

    def copy(self) -> Container:
        """A new container with a copy of the value and the same settings."""
        val = self.storage[0]
        return Container(
            self.type,
            [None if val is None else copy_value(val)],
            self.name,
            self.strict,
            self.allow_downcast,
            self.readonly,
        )

    def __getstate__(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state):
        for k, v in state.items():
            setattr(self, k, v)

    def __repr__(self) -> str:
        return f"<{self.storage[0]!r}>"


class SymbolicInput:
    """One input of a compiled function.

    ``variable``: the symbolic input. ``name``: the keyword used to pass it (defaults to
    the variable's name when ``autoname``). ``update``: an expression whose value replaces
    the input's stored value after each call (needs a stored value). ``mutable``: the
    compiled graph may overwrite the value in place. ``strict``: the value must already
    have the exact type (no conversion). ``allow_downcast``: allow lossy conversions
    (None: follow ``function(allow_input_downcast=...)``). ``implicit``: the input is not
    an argument of the function (its value comes from its container).
    """

    def __init__(
        self,
        variable: Variable,
        name: str | None = None,
        update: Variable | None = None,
        mutable: bool | None = None,
        strict: bool = False,
        allow_downcast: bool | None = None,
        autoname: bool = True,
        implicit: bool = False,
        borrow: bool | None = None,
    ) -> None:
        if not isinstance(variable, Variable):
            raise TypeError(
                f"In/SymbolicInput needs a symbolic Variable, got {type(variable).__name__}"
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"The name of an input must be a string, got {name!r}")
        self.variable = variable
        self.name = variable.name if (autoname and name is None) else name
        self.update = update
        self.mutable = bool(mutable)
        if borrow is None:
            borrow = self.mutable
        elif self.mutable and not borrow:
            raise ValueError(
                f"Input {self.name or variable}: mutable=True implies borrow=True "
                "(a value the function may overwrite can also be aliased by its outputs)"
            )
        self.borrow = bool(borrow)
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.implicit = implicit

    def __str__(self) -> str:
        return f"In({self.variable}{' -> ' + str(self.update) if self.update is not None else ''})"

    __repr__ = __str__


class In(SymbolicInput):
    """An input with an optional default ``value`` (Theano's ``In``).

    ``value`` may be a plain value (the default used when the argument is not given), a
    ``SharedVariable`` or a ``Container`` (the input then reads that cell, so several
    functions share it; such inputs are implicit unless ``implicit=False``).
    ``borrow=True`` lets outputs alias the given value instead of copying it.
    """

    def __init__(
        self,
        variable: Variable,
        name: str | None = None,
        value: Any = None,
        update: Variable | None = None,
        mutable: bool | None = None,
        strict: bool = False,
        allow_downcast: bool | None = None,
        autoname: bool = True,
        implicit: bool | None = None,
        borrow: bool | None = None,
        shared: bool = False,
    ) -> None:
        is_cell = isinstance(value, Container) or getattr(value, "_is_shared_variable", False)
        if implicit is None:
            implicit = is_cell
        super().__init__(
            variable, name, update, mutable, strict, allow_downcast, autoname, implicit, borrow
        )
        self.value = value
        self.shared = shared
        if implicit and value is None:
            raise TypeError(f"In({variable}): an implicit input needs a value (its storage)")
        if update is not None and value is None:
            raise TypeError(
                f"In({variable}, update=...): an input with an update needs a value= to hold "
                "its state between calls"
            )


class SymbolicOutput:
    """One output of a compiled function; ``borrow=True`` allows returning an array the
    function still references (no defensive copy)."""

    def __init__(self, variable: Variable, borrow: bool = False) -> None:
        if not isinstance(variable, Variable):
            raise TypeError(f"Out needs a symbolic Variable, got {type(variable).__name__}")
        self.variable = variable
        self.borrow = borrow

    def __str__(self) -> str:
        return f"Out({self.variable}{', borrow=True' if self.borrow else ''})"

    __repr__ = __str__


Out = SymbolicOutput
