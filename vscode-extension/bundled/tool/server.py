"""Starts the language server bundled in the .vsix (bundled/libs) with any Python >= 3.11.

The extension runs `<python> -I bundled/tool/server.py`: isolated mode (-I) keeps a
PYTHONPATH or a user site-packages with another `neural_lsp` from shadowing the bundled one.
"""

import os
import sys

if sys.version_info < (3, 11):
    sys.stderr.write("neural-lsp needs Python 3.11 or newer; %s is %d.%d\n"
                     % (sys.executable, sys.version_info[0], sys.version_info[1]))
    sys.exit(3)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libs"))

from neural_lsp.__main__ import main  # noqa: E402

sys.exit(main())
