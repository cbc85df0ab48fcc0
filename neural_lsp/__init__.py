"""The Neural language server: LSP requests mapped onto `compiler` results.

Nothing here parses or infers on its own: every answer comes from
`compiler.analysis.analyze` (see ARCHITECTURE.md). ML frameworks are never imported.
"""

__version__ = "0.1.0"
