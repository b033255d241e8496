"""numba kernels with the same names and signatures as ``pyclr._core``; imported only when used."""
from .finder import *  # noqa: F401,F403
from .schedule import *  # noqa: F401,F403
