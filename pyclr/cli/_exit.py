"""Exit statuses of the ``pyclr`` command, named once: every subcommand, its help text and the
tests take them from here."""
from __future__ import annotations

import textwrap

__all__ = ["EXIT_OK", "EXIT_INCONCLUSIVE", "EXIT_USAGE", "EXIT_BAD_INPUT", "EXIT_BAD_OUTPUT",
           "EXIT_MISSING_DEPENDENCY", "EXIT_BROKEN_PIPE", "CODES", "CLIError", "epilog"]

EXIT_OK = 0
EXIT_INCONCLUSIVE = 1
# argparse itself exits 2 on a malformed command line; the API's own argument errors join it, so
# 2 always means "fix the command", never "fix the file".
EXIT_USAGE = 2
EXIT_BAD_INPUT = 3
EXIT_BAD_OUTPUT = 4
EXIT_MISSING_DEPENDENCY = 5
# what a shell reports for a command killed by SIGPIPE (128 + 13): `pyclr analyze LOG --json | head`
EXIT_BROKEN_PIPE = 141

CODES = (
    (EXIT_OK, "success"),
    (EXIT_INCONCLUSIVE, "inconclusive: a log's verdict is not ok (analyze), or no schedule could be "
                        "built from the range test (demo)"),
    (EXIT_USAGE, "bad command-line arguments"),
    (EXIT_BAD_INPUT, "unusable input file: missing, not a regular file, unreadable, malformed, "
                     "or a log that cannot be analysed"),
    (EXIT_BAD_OUTPUT, "output file not written: its folder is missing or not writable, it is a "
                      "directory, or it exists (pass --force to overwrite)"),
    (EXIT_MISSING_DEPENDENCY, "an optional dependency is missing (demo: torch, scikit-learn; --plot in "
                              "analyze and schedule: matplotlib)"),
    (EXIT_BROKEN_PIPE, "the reader of the output closed it early (as `| head` does); no traceback"),
)


class CLIError(Exception):
    """A failure the command reports in one line (no traceback) and exits with ``code``."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def epilog(codes=None) -> str:
    """The exit-status table for ``--help``; ``codes`` picks the rows a subcommand can return."""
    rows = [(c, text) for c, text in CODES if codes is None or c in codes]
    return "exit status:\n" + "\n".join(
        textwrap.fill(text, 78, initial_indent=f"  {c}  ", subsequent_indent="     ") for c, text in rows)
