"""Plain NumPy kernels: the readable definition of every kernel and the test oracle.

Same names, arguments and meaning as ``pyclr._core`` and ``pyclr._numba``.
"""
from .finder import *  # noqa: F401,F403
from .schedule import *  # noqa: F401,F403
