"""Small networks that together use every layer of the registry (for framework checks)."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def net(name: str, inp: str, layers: str, loss: str = "sparse_categorical_crossentropy") -> str:
    return f"network {name} {{\n  input: {inp}\n  layers:\n{layers}\n  loss: \"{loss}\"\n}}\n"


GENERATED = {
    "convs": net("Convs", "(16, 16, 3)", """
    Conv2D(8, 3, strides=2, padding="same", activation="relu")
    DepthwiseConv2D((3, 3), padding="same", depth_multiplier=2)
    SeparableConv2D(8, (3, 3), padding="valid")
    Conv2DTranspose(4, (3, 3), strides=2, padding="same")
    Conv2DTranspose(4, (3, 3), strides=2)
    Conv2D(6, (3, 3), dilation_rate=2, padding=1)
    MaxPooling2D((3, 3), strides=2, padding="same")
    AveragePooling2D((2, 2))
    BatchNormalization()
    GroupNormalization(groups=2)
    UpSampling2D((2, 2))
    SpatialDropout2D(0.1)
    GlobalMaxPooling2D(keepdims=true)
    Flatten()
    Output(3, "softmax")"""),
    "pool_avg": net("PoolAvg", "(8, 8, 2)", """
    AveragePooling2D((3, 3), strides=1, padding="same")
    GlobalAveragePooling2D()
    Dense(4, activation="gelu")
    Output(2, "softmax")"""),
    "conv1d": net("Seq1D", "(20, 4)", """
    Conv1D(8, 3, padding="same", activation="elu")
    MaxPooling1D(2)
    AveragePooling1D(2, padding="same")
    SpatialDropout1D(0.1)
    BatchNormalization()
    GlobalAveragePooling1D()
    Output(3)"""),
    "conv1d_max": net("Seq1DMax", "(12, 3)", """
    Conv1D(4, 3)
    GlobalMaxPooling1D()
    Output(2, "softmax")"""),
    "conv3d": net("Vol", "(6, 6, 6, 2)", """
    Conv3D(4, (3, 3, 3), padding="same", activation="relu")
    MaxPooling3D(2)
    AveragePooling3D((1, 1, 1))
    GlobalMaxPooling3D()
    Dense(3)"""),
    "conv3d_avg": net("VolAvg", "(4, 4, 4, 1)", """
    Conv3D(2, 2)
    GlobalAveragePooling3D()
    Output(2, "softmax")"""),
    "rnn": net("Rnn", "(10, 5)", """
    LayerNormalization()
    SimpleRNN(8, return_sequences=true)
    GRU(6, return_sequences=true)
    Bidirectional(LSTM(4, return_sequences=true))
    Bidirectional(GRU(3), merge_mode="sum")
    Output(2, "softmax")"""),
    "time": net("Time", "(5, 6, 6, 1)", """
    TimeDistributed(Conv2D(2, 3))
    TimeDistributed(Flatten())
    TimeDistributed(Dense(4, activation="tanh"))
    LSTM(3)
    Output(2, "sigmoid")""", loss="categorical_crossentropy"),
    "attention": net("Attn", "(12,)", """
    Embedding(100, 16)
    MultiHeadAttention(num_heads=2, key_dim=8)
    TransformerEncoder(num_heads=4, ff_dim=32, activation="gelu")
    Reshape((-1,))
    Dense(8, activation="swish")
    Dropout(0.2)
    GaussianNoise(0.1)
    Activation("softplus")
    Output(1)""", loss="mse"),
    "residual": net("Res", "(8, 8, 4)", """
    ResidualConnection {
      Conv2D(4, 3, padding="same", activation="relu")
      Conv2D(4, 3, padding="same")
    }
    Flatten()
    Output(1, "sigmoid")""", loss="binary_crossentropy"),
}


def programs() -> dict[str, str]:
    out = {p.stem: p.read_text() for p in sorted(EXAMPLES.glob("*.neural"))}
    out.update(GENERATED)
    return out
