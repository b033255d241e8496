"""``python -m pyclr ...``: the ``pyclr`` command (:mod:`pyclr.cli`)."""
import sys

from pyclr.cli import main

sys.exit(main())
