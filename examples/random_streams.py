"""Theano tutorial, "Using random numbers": RandomStreams, default updates, seeding and
saving/restoring a generator's state.

Run: python examples/random_streams.py

symcore draws from NumPy's Generator, so the numbers differ from Theano's, but the
behaviour is the same.
"""

import numpy as np
from symcore import function
from symcore.tensor.shared_randomstreams import RandomStreams

srng = RandomStreams(seed=234)
rv_u = srng.uniform((2, 2))
rv_n = srng.normal((2, 2))
f = function([], rv_u)  # each call advances rv_u's generator (a default update)
g = function([], rv_n, no_default_updates=True)  # never advances: same numbers every call
nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)  # rv_u is drawn once per call

f_val0 = f()
f_val1 = f()
print("f_val0 =", f_val0.tolist())
print("f_val1 =", f_val1.tolist())
g_val0 = g()
g_val1 = g()
print("g_val0 =", g_val0.tolist())
print("g_val1 =", g_val1.tolist())
print("nearly_zeros() =", nearly_zeros().tolist())

# Seeding one stream: give its shared generator a new value
rv_u.rng.set_value(np.random.default_rng(89234), borrow=True)
print("f() after rv_u.rng.set_value(default_rng(89234)) =", f().tolist())

# Seeding every stream of srng at once
srng.seed(902340)
print("f() after srng.seed(902340) =", f().tolist())

# Saving and restoring a state replays the same numbers
state_after_v0 = rv_u.rng.get_value()  # a copy of the generator
nearly_zeros()  # advances rv_u's generator
v1 = f()
rv_u.rng.set_value(state_after_v0)
f()  # the draw nearly_zeros() made
v2 = f()
print("v1 =", v1.tolist())
print("v2 =", v2.tolist())
