import sys

from pyclr.cli import main

sys.exit(main())
