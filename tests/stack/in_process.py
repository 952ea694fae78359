"""The local commands run in this process, as `python -m local_cloudformation ...` runs them:
what they print and their exit code, without paying a new interpreter and moto's import each
time. A few end-to-end tests still start a real process (tests/stack/test_cli.py)."""

import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

from local_cloudformation.__main__ import main

ROOT = Path(__file__).parents[2]


def run(
    argv: list[str], env: dict[str, str], stdin: str | None = None
) -> "subprocess.CompletedProcess[str]":
    """``python -m local_cloudformation ARGV`` in this process, with ``env``'s variables added
    to the environment (none taken away: an in-process emulator server shares it) and
    ``stdin`` as its input; its output and exit code."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    previous = os.getcwd()
    with (
        mock.patch.dict(os.environ, env),
        mock.patch.object(sys, "stdin", io.StringIO(stdin or "")),
        redirect_stdout(out),
        redirect_stderr(err),
    ):
        os.chdir(ROOT)
        try:
            main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
        finally:
            os.chdir(previous)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())
