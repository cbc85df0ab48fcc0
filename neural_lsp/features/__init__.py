"""One module per LSP feature. Each reads one analysed snapshot (core.documents.Snapshot)
and answers with plain data; `neural_lsp.handlers` maps LSP methods onto them."""
