"""`python -m runner.webui [--port 8052] [--host 127.0.0.1] [--base-dir DIR] [--debug]`:
the same as `neural track ui`."""

import sys

from runner.cli import main

sys.exit(main(["track", "ui", *sys.argv[1:]]))
