"""``symcore.tensor.nnet`` (Theano's ``T.nnet``): activations, softmax and cross-entropies.

Modules: ``sigm`` (sigmoid family), ``softmax_ops`` (Softmax/LogSoftmax/logsumexp),
``crossentropy`` (binary/categorical cross-entropies and their Ops) and ``nnet`` (rectifiers,
and Theano's ``theano.tensor.nnet.nnet`` path for everything above).
"""

from symcore.tensor.nnet import crossentropy, nnet, sigm, softmax_ops  # noqa: F401
from symcore.tensor.nnet.crossentropy import *  # noqa: F401,F403
from symcore.tensor.nnet.nnet import *  # noqa: F401,F403
from symcore.tensor.nnet.sigm import *  # noqa: F401,F403
from symcore.tensor.nnet.softmax_ops import *  # noqa: F401,F403
