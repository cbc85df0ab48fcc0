"""Programs more than one test area uses, written once."""

# A tiny searched MLP on digits: three HPO expressions (a choice, a stepped range, a log
# range), comments and uneven spacing that rendering must keep. The search tests
# (tests/hpo) and the editor's results tests (tests/lsp) search it for real.
TINY = """# a tiny searched MLP (comments and spacing must survive rendering)
network Tiny {
  input: (8, 8, 1)
  layers:
    Flatten()
    Dense(HPO(choice(16, 32)), activation="relu")   # width
    Dropout(HPO(range(0.0, 0.2, step=0.1)))
    Output(10, activation="softmax")
  loss: "sparse_categorical_crossentropy"
  optimizer: Adam(learning_rate=HPO(log_range(1e-3, 3e-2)))
  train { epochs: 2 batch_size: 64 validation_split: 0.2 }
}
"""
