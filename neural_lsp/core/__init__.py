"""The server's plumbing: documents and their analyses, position conversion (and the
conversion of the features' offset-based answers to LSP types), settings, memory, jobs
and progress, what `initialize` advertises, and the pygls overrides.

Nothing here imports the compiler at import time: the `initialize` answer waits only for
this package (the compiler loads after `initialized`, in the worker thread)."""
