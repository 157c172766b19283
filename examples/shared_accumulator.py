"""Theano tutorial, "Using shared variables": an accumulator, a decrementor sharing its
state, and givens= to compute with another value in place of the state.

Run: python examples/shared_accumulator.py
"""

import symcore.tensor as T
from symcore import function, shared

state = shared(0)  # an int64 value kept between calls
inc = T.iscalar("inc")
# updates run after the outputs are computed: the function returns the OLD state
accumulator = function([inc], state, updates=[(state, state + inc)])

print("state.get_value() =", int(state.get_value()))
print("accumulator(1) =", int(accumulator(1)))
print("state.get_value() =", int(state.get_value()))
print("accumulator(300) =", int(accumulator(300)))
print("state.get_value() =", int(state.get_value()))

state.set_value(-1)
print("accumulator(3) =", int(accumulator(3)))
print("state.get_value() =", int(state.get_value()))

# Another function updating the same shared state
decrementor = function([inc], state, updates=[(state, state - inc)])
print("decrementor(2) =", int(decrementor(2)))
print("state.get_value() =", int(state.get_value()))

# givens: compute the formula with foo in place of the shared state (state is untouched)
fn_of_state = state * 2 + inc
foo = T.scalar(dtype=state.dtype)  # the type of the replacement must match
skip_shared = function([inc, foo], fn_of_state, givens=[(state, foo)])
print("skip_shared(1, 3) =", int(skip_shared(1, 3)))
print("state.get_value() =", int(state.get_value()))
