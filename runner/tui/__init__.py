"""`neural tui`: a Textual terminal UI over the experiment store and the HPO studies.

The modules that only read the store (tail, experiment, reader, studies, ...) do not import
Textual; `runner.tui.app` does, and the CLI imports it only when `neural tui` runs.
"""
