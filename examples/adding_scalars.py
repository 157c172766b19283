"""Theano tutorial, "Adding two scalars": build z = x + y, compile it, call it.

Run: python examples/adding_scalars.py
"""

import symcore
import symcore.tensor as T
from symcore import function

# Two symbolic float64 scalars, named so that printouts are readable.
x = T.dscalar("x")
y = T.dscalar("y")
z = x + y  # a symbolic expression: nothing is computed yet

f = function([x, y], z)  # compile the expression into a Python callable

print("type(x).__name__ =", repr(type(x).__name__))
print("x.type =", repr(str(x.type)))
print("pp(z) =", repr(symcore.pp(z)))
print("f(2, 3) =", float(f(2, 3)))
print("f(16.3, 12.1) =", float(f(16.3, 12.1)))
# eval() compiles and calls in one step (handy in an interactive session)
print("z.eval({x: 16.3, y: 12.1}) =", float(z.eval({x: 16.3, y: 12.1})))
