"""Theano tutorial, "Adding two matrices", and its exercise (a ** 2 + b ** 2 + 2 * a * b).

Run: python examples/adding_matrices.py
"""

import numpy as np
import symcore.tensor as T
from symcore import function

x = T.dmatrix("x")
y = T.dmatrix("y")
z = x + y
f = function([x, y], z)

# Python lists and NumPy arrays are both accepted as inputs.
print(
    "f([[1, 2], [3, 4]], [[10, 20], [30, 40]]) =",
    f([[1, 2], [3, 4]], [[10, 20], [30, 40]]).tolist(),
)
print(
    "f(np.array([[1, 2], [3, 4]]), np.array([[10, 20], [30, 40]])) =",
    f(np.array([[1, 2], [3, 4]]), np.array([[10, 20], [30, 40]])).tolist(),
)

# Exercise: the same with vectors and a longer expression.
a = T.vector("a")
b = T.vector("b")
out = a**2 + b**2 + 2 * a * b
f2 = function([a, b], out)
print("f2([0, 1, 2], [1, 2, 3]) =", f2([0, 1, 2], [1, 2, 3]).tolist())
