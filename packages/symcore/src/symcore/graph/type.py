"""``Type``: what a variable may hold, how values are validated and converted."""

from __future__ import annotations

from typing import Any

from symcore.graph.basic import Constant, Variable


class Type:
    """Base class of variable types.

    Subclasses define ``filter`` (validate/convert a value), equality and hashing (two equal
    types make interchangeable variables), and the classes of the variables they create.
    """

    variable_type: type[Variable] = Variable
    constant_type: type[Constant] = Constant

    def filter(self, data: Any, strict: bool = False, allow_downcast: bool | None = None) -> Any:
        """Return ``data`` as a valid value of this type, or raise ``TypeError``."""
        raise NotImplementedError

    def filter_inplace(self, value, storage, strict=False, allow_downcast=None):
        raise NotImplementedError

    def is_valid_value(self, data: Any) -> bool:
        try:
            self.filter(data, strict=True)
            return True
        except (TypeError, ValueError):
            return False

    def filter_variable(self, other: Variable, allow_convert: bool = True) -> Variable:
        """Return ``other`` as a variable of this type (converting when allowed), else TypeError."""
        if not isinstance(other, Variable):
            other = self.constant_type(self, other)
        if other.type == self:
            return other
        if allow_convert:
            converted = self.convert_variable(other)
            if converted is not None:
                return converted
        raise TypeError(
            f"Cannot convert {other} of type {other.type} to type {self}; "
            "you can try to manually convert it with a cast or specify_shape"
        )

    def convert_variable(self, var: Variable) -> Variable | None:
        """Return ``var`` converted to this type when that is safe, else None."""
        return None

    def is_super(self, otype: Type) -> bool:
        """True when every value of ``otype`` is a value of this type."""
        return self == otype

    def in_same_class(self, otype: Type) -> bool:
        return self == otype

    def make_variable(self, name: str | None = None) -> Variable:
        """A new free variable of this type."""
        return self.variable_type(self, None, None, name)

    def make_constant(self, value: Any, name: str | None = None) -> Constant:
        return self.constant_type(self, value, name=name)

    def __call__(self, name: str | None = None) -> Variable:
        return self.make_variable(name)

    def values_eq(self, a: Any, b: Any) -> bool:
        return a == b

    def values_eq_approx(self, a: Any, b: Any) -> bool:
        return self.values_eq(a, b)

    def data_signature(self, data: Any):
        """A hashable value identifying ``data`` (used to merge equal constants)."""
        return data

    def clone(self, **kwargs: Any) -> Type:
        return self

    def may_share_memory(self, a: Any, b: Any) -> bool:
        return a is b


class Generic(Type):
    """Any Python object (used for Op parameters and random generators' side outputs)."""

    def filter(self, data, strict=False, allow_downcast=None):
        return data

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __str__(self):
        return "Generic"

    __repr__ = __str__

    def data_signature(self, data):
        try:
            hash(data)
            return data
        except TypeError:
            return id(data)


generic = Generic()


class NullType(Type):
    """The type of an undefined gradient: using such a variable in a graph is an error."""

    def __init__(self, why_null: str = "(no explanation given)") -> None:
        self.why_null = why_null

    def filter(self, data, strict=False, allow_downcast=None):
        raise ValueError(f"No values may be assigned to a NullType: {self.why_null}")

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __str__(self):
        return "NullType"

    __repr__ = __str__


class DisconnectedType(Type):
    """The type of a gradient that is zero because there is no path (kept symbolic)."""

    def filter(self, data, strict=False, allow_downcast=None):
        raise AssertionError(
            "If you are looking at this error message, a disconnected gradient was used as a "
            "value; ask grad for return_disconnected='zero'"
        )

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __str__(self):
        return "DisconnectedType"

    __repr__ = __str__


disconnected_type = DisconnectedType()
