"""TensorFlow/Keras source: a functional keras.Model, one Keras layer per DSL layer."""

from __future__ import annotations

from collections.abc import Callable

from compiler import support
from compiler.analysis import Analysis
from compiler.codegen.common import (
    CodegenError,
    Unsupported,
    config_block,
    header,
    ident,
    lit,
    main_block,
    n701,
    optimizer_parts,
    output_activation,
    unsupported,
)
from compiler.datasets import default_dataset
from compiler.dims import Shape, fmt
from compiler.model import LayerIR, NetworkIR
from compiler.shapes import NetworkShapes
from compiler.vocab import CLASSIFICATION_LOSSES

BACKEND = "tensorflow"

TRANSFORMER_HELPER = '''

def transformer_encoder(x, num_heads, ff_dim, dropout, activation, name):
    """Post-norm encoder block, as PyTorch's TransformerEncoderLayer."""
    d = x.shape[-1]
    attn = layers.MultiHeadAttention(num_heads, d // num_heads, dropout=dropout, name=name + "_attention")(x, x)
    x = layers.LayerNormalization(epsilon=1e-5, name=name + "_norm1")(x + layers.Dropout(dropout)(attn))
    ff = layers.Dense(ff_dim, activation=activation, name=name + "_ff1")(x)
    ff = layers.Dense(d, name=name + "_ff2")(layers.Dropout(dropout)(ff))
    return layers.LayerNormalization(epsilon=1e-5, name=name + "_norm2")(x + layers.Dropout(dropout)(ff))
'''


class Gen:
    def __init__(self, net: NetworkIR) -> None:
        self.net = net
        self.lines: list[str] = []
        self.counter: dict[str, int] = {}
        self.needs_transformer = False

    def name(self, hint: str) -> str:
        n = self.counter.get(hint, 0)
        self.counter[hint] = n + 1
        return f"{hint}_{n}"

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)


def _kw(p: dict, keys: tuple[str, ...], defaults: dict) -> str:
    parts = []
    for k in keys:
        if k in p and p[k] != defaults.get(k, object()):
            parts.append(f"{k}={lit(p[k])}")
    return "".join(", " + x for x in parts)


_DEFAULTS = {"activation": None, "use_bias": True, "strides": 1, "padding": "valid", "dilation_rate": 1,
             "return_sequences": False, "dropout": 0.0, "recurrent_dropout": 0.0, "go_backwards": False,
             "return_state": False, "keepdims": False, "data_format": "channels_last", "epsilon": 0.001,
             "momentum": 0.99, "axis": -1, "center": True, "scale": True, "mask_zero": False,
             "kernel_initializer": "glorot_uniform", "seed": None, "depth_multiplier": 1,
             "interpolation": "nearest", "merge_mode": "concat", "value_dim": None}


def layer_expr(g: Gen, layer: LayerIR, p: dict) -> str:
    """The Keras layer object for a DSL layer (no block, no padding tricks)."""
    name = layer.spec.name
    fn = SIMPLE.get(name)
    if fn is None:
        raise unsupported(BACKEND, name, layer)
    return fn(g, layer, p)


def _conv(n: int) -> Callable:
    def f(g: Gen, layer: LayerIR, p: dict) -> str:
        q = dict(p)
        if isinstance(q.get("padding"), int):
            q["padding"] = "valid"
        return (f"layers.Conv{n}D({p['filters']}, {lit(p['kernel_size'])}"
                + _kw(q, ("strides", "padding", "dilation_rate", "activation", "use_bias", "kernel_initializer"),
                      _DEFAULTS) + ")")
    return f


def _rnn(g: Gen, layer: LayerIR, p: dict) -> str:
    return (f"layers.{layer.spec.name}({p['units']}"
            + _kw(p, ("activation", "return_sequences", "dropout", "recurrent_dropout", "go_backwards",
                      "return_state", "use_bias"), {**_DEFAULTS, "activation": "tanh"}) + ")")


def _pool(kind: str, n: int) -> Callable:
    def f(g: Gen, layer: LayerIR, p: dict) -> str:
        # Keras pools default their strides to the pool size, not 1.
        return (f"layers.{kind}Pooling{n}D({lit(p['pool_size'])}"
                + _kw(p, ("strides", "padding"), {**_DEFAULTS, "strides": None}) + ")")
    return f


def _global(kind: str, n: int) -> Callable:
    return lambda g, layer, p: f"layers.Global{kind}Pooling{n}D(" + _kw(p, ("keepdims",), _DEFAULTS)[2:] + ")"


SIMPLE: dict[str, Callable[[Gen, LayerIR, dict], str]] = {
    "Dense": lambda g, la, p: f"layers.Dense({p['units']}" + _kw(p, ("activation", "use_bias", "kernel_initializer"), _DEFAULTS) + ")",
    "Output": lambda g, la, p: f"layers.Dense({p['units']}" + _kw(p, ("activation", "use_bias", "kernel_initializer"), _DEFAULTS) + ")",
    "Activation": lambda g, la, p: f"layers.Activation({lit(p['activation'])})",
    "Flatten": lambda g, la, p: "layers.Flatten()",
    "Reshape": lambda g, la, p: f"layers.Reshape({lit(tuple(p['target_shape']))})",
    "Dropout": lambda g, la, p: f"layers.Dropout({p['rate']!r}" + _kw(p, ("seed",), _DEFAULTS) + ")",
    "SpatialDropout1D": lambda g, la, p: f"layers.SpatialDropout1D({p['rate']!r})",
    "SpatialDropout2D": lambda g, la, p: f"layers.SpatialDropout2D({p['rate']!r})",
    "GaussianNoise": lambda g, la, p: f"layers.GaussianNoise({p['stddev']!r})",
    "Conv1D": _conv(1),
    "Conv2D": _conv(2),
    "Conv3D": _conv(3),
    "Conv2DTranspose": lambda g, la, p: (f"layers.Conv2DTranspose({p['filters']}, {lit(p['kernel_size'])}"
                                         + _kw(p, ("strides", "padding", "activation", "use_bias"), _DEFAULTS) + ")"),
    "DepthwiseConv2D": lambda g, la, p: (f"layers.DepthwiseConv2D({lit(p['kernel_size'])}"
                                         + _kw(p, ("strides", "padding", "depth_multiplier", "activation",
                                                   "use_bias", "dilation_rate"), _DEFAULTS) + ")"),
    "SeparableConv2D": lambda g, la, p: (f"layers.SeparableConv2D({p['filters']}, {lit(p['kernel_size'])}"
                                         + _kw(p, ("strides", "padding", "depth_multiplier", "activation",
                                                   "use_bias", "dilation_rate"), _DEFAULTS) + ")"),
    **{f"{k}Pooling{n}D": _pool(k, n) for k in ("Max", "Average") for n in (1, 2, 3)},
    **{f"Global{k}Pooling{n}D": _global(k, n) for k in ("Max", "Average") for n in (1, 2, 3)},
    "UpSampling2D": lambda g, la, p: f"layers.UpSampling2D({lit(p.get('size', 2))}" + _kw(p, ("interpolation",), _DEFAULTS) + ")",
    "BatchNormalization": lambda g, la, p: "layers.BatchNormalization(" + _kw(p, ("axis", "momentum", "epsilon", "center", "scale"), _DEFAULTS)[2:] + ")",
    "LayerNormalization": lambda g, la, p: "layers.LayerNormalization(" + _kw(p, ("axis", "epsilon"), _DEFAULTS)[2:] + ")",
    "GroupNormalization": lambda g, la, p: f"layers.GroupNormalization({p['groups']}" + _kw(p, ("axis", "epsilon"), _DEFAULTS) + ")",
    "Embedding": lambda g, la, p: f"layers.Embedding({p['input_dim']}, {p['output_dim']}" + _kw(p, ("mask_zero",), _DEFAULTS) + ")",
    "SimpleRNN": _rnn,
    "LSTM": _rnn,
    "GRU": _rnn,
    "Bidirectional": lambda g, la, p: (f"layers.Bidirectional({layer_expr(g, p['layer'], p['layer'].full_params())}"
                                       + _kw(p, ("merge_mode",), _DEFAULTS) + ")"),
    "TimeDistributed": lambda g, la, p: f"layers.TimeDistributed({layer_expr(g, p['layer'], p['layer'].full_params())})",
}


def build_layer(g: Gen, layer: LayerIR, index: str) -> None:
    if layer.spec is None:
        raise unsupported(BACKEND, f"layer {layer.name}", layer)
    p = layer.full_params()
    why = support.refusal(BACKEND, layer.spec.name, p)
    if why is not None:
        raise unsupported(BACKEND, why, layer)
    name = layer.spec.name
    if name == "ResidualConnection":
        ident_name = g.name("identity")
        g.emit(f"{ident_name} = x")
        for j, child in enumerate(layer.children or []):
            build_layer(g, child, f"{index}_{j}")
        g.emit(f"x = layers.Add(name={lit(g.name('residual'))})([{ident_name}, x])")
        return
    if name == "TransformerEncoder":
        g.needs_transformer = True
        g.emit(f"x = transformer_encoder(x, {p['num_heads']}, {p['ff_dim']}, {p.get('dropout', 0.1)!r}, "
               f"{lit(p.get('activation', 'relu'))}, {lit(g.name('encoder'))})")
        return
    if name == "MultiHeadAttention":
        g.emit(f"x = layers.MultiHeadAttention({p['num_heads']}, {p['key_dim']}"
               + _kw(p, ("value_dim", "dropout"), _DEFAULTS) + f", name={lit(g.name('attention'))})(x, x)")
        return
    pad = p.get("padding")
    if name.startswith("Conv") and isinstance(pad, int) and pad > 0:
        n = int(name[4])
        g.emit(f"x = layers.ZeroPadding{n}D({pad})(x)")
    head = layer_expr(g, layer, p)[:-1]
    sep = "" if head.endswith("(") else ", "
    g.emit(f"x = {head}{sep}name={lit(g.name(name.lower()))})(x)")


def _loss_expr(loss: str, act: str | None, params: dict) -> str:
    cls = {"sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
           "categorical_crossentropy": "CategoricalCrossentropy",
           "binary_crossentropy": "BinaryCrossentropy"}.get(loss)
    if cls:
        logits = act not in ("softmax", "sigmoid") if loss in CLASSIFICATION_LOSSES else False
        extra = "".join(f", {k}={lit(v)}" for k, v in params.items() if k != "from_logits")
        return f"keras.losses.{cls}(from_logits={logits}{extra})"
    names = {"mse": "MeanSquaredError", "mae": "MeanAbsoluteError", "huber": "Huber", "hinge": "Hinge",
             "squared_hinge": "SquaredHinge", "kl_divergence": "KLDivergence", "poisson": "Poisson",
             "log_cosh": "LogCosh"}
    extra = ", ".join(f"{k}={lit(v)}" for k, v in params.items())
    return f"keras.losses.{names[loss]}({extra})"


_KERAS_SCHEDULES = {"ExponentialDecay": "ExponentialDecay", "InverseTimeDecay": "InverseTimeDecay",
                    "CosineDecay": "CosineDecay", "PolynomialDecay": "PolynomialDecay"}


def _optimizer_expr(net: NetworkIR) -> list[str]:
    name, params, sched = optimizer_parts(net)
    args = [f"{k}={lit(v)}" for k, v in sorted(params.items(), key=lambda kv: kv[0] != "learning_rate")
            if v is not None]
    lines = []
    if sched is not None:
        sp = {k: v for k, v in sched.params.items() if v is not None}
        if sched.name == "StepDecay":
            # lr * gamma ** floor(step / step_size) is a staircase exponential decay.
            expr = (f"keras.optimizers.schedules.ExponentialDecay({sp['initial_learning_rate']!r}, "
                    f"{sp['step_size']!r}, {sp.get('gamma', 0.1)!r}, staircase=True)")
        else:
            expr = (f"keras.optimizers.schedules.{_KERAS_SCHEDULES[sched.name]}("
                    + ", ".join(f"{k}={lit(v)}" for k, v in sp.items()) + ")")
        lines.append(f"    schedule = {expr}")
        args.insert(0, "learning_rate=schedule")
    lines.append(f"    return keras.optimizers.{name}({', '.join(args)})")
    return lines


def generate(a: Analysis, net: NetworkIR, shapes: NetworkShapes) -> str:
    g = Gen(net)
    try:
        for i, ls in enumerate(shapes.layers):
            build_layer(g, ls.layer, str(i))
            (o,) = list(ls.outputs)
            g.emit(f"# {i}: {ls.layer.path} {ls.layer.name} -> {fmt(o)}")
        act = output_activation(net)
        loss = _loss_expr(net.loss or "sparse_categorical_crossentropy", act, net.loss_params)
        opt = _optimizer_expr(net)
    except Unsupported as err:
        raise CodegenError(str(err), [n701(err)], a) from None
    cls = ident(net.name)
    shape: Shape = net.inputs[0]
    out = [
        *header(cls, BACKEND),
        "",
        "try:",
        "    from runner.training.native_log import quiet_tensorflow",
        "except ImportError:  # without the Neural DSL package: TensorFlow's start-up banners stay",
        "    from contextlib import nullcontext as quiet_tensorflow",
        "",
        "with quiet_tensorflow():  # no C++ start-up banners (oneDNN, CUDA drivers, cuInit) on stderr",
        "    import keras",
        "    from keras import layers",
        "",
        f"BACKEND = {BACKEND!r}",
        f"DEFAULT_DATASET = {default_dataset(net)!r}",
        config_block(net, BACKEND, act),
    ]
    if g.needs_transformer:
        out.append(TRANSFORMER_HELPER)
    out += [
        "",
        "def build_model():",
        f"    inputs = keras.Input(shape={lit(tuple(shape))})",
        "    x = inputs",
        *g.lines,
        f"    return keras.Model(inputs, x, name={lit(cls)})",
        "",
        "",
        "def build_optimizer():",
        *opt,
        "",
        "",
        "def build_loss():",
        f"    return {loss}",
        main_block(BACKEND),
    ]
    return "\n".join(out)
