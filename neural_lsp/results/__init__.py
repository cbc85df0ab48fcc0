"""The experiment stores next to the program (runs, HPO studies), read from their files
without Optuna or an ML framework, and matched to the document's networks."""
