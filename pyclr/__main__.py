"""``python -m pyclr ...``: the ``pyclr`` command (:mod:`pyclr.cli`)."""
import sys

from pyclr.cli import main

if __name__ == "__main__":  # not on import (pytest --doctest-modules imports every module)
    sys.exit(main())
