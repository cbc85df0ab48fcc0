"""PyTorch source: an nn.Module whose forward takes channels-last input, as the DSL does.

Layout: tensors enter channels-last; before a layer that PyTorch runs channels-first
(convolutions, pooling, batch norm over feature maps) the forward moves the channel axis
to position 1, and back before layers that act on the last axis (Dense, Flatten, RNNs),
so Flatten sees Keras's order and shapes match Keras layer by layer.
"""

from __future__ import annotations

import math
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
from compiler.layers import (
    INITIALIZERS,
    avgpool_torch_refusal,
    batchnorm_torch_refusal,
    deconv_torch_refusal,
    mha_fits_torch,
    same_pads,
)
from compiler.model import LayerIR, NetworkIR
from compiler.shapes import NetworkShapes

BACKEND = "pytorch"

# activation -> expression template over {x} and the channel dimension {dim}
ACTIVATIONS: dict[str, str] = {
    "relu": "torch.relu({x})",
    "sigmoid": "torch.sigmoid({x})",
    "tanh": "torch.tanh({x})",
    "softmax": "torch.softmax({x}, dim={dim})",
    "log_softmax": "F.log_softmax({x}, dim={dim})",
    "elu": "F.elu({x})",
    "selu": "F.selu({x})",
    "gelu": "F.gelu({x})",
    "swish": "F.silu({x})",
    "silu": "F.silu({x})",
    "softplus": "F.softplus({x})",
    "softsign": "F.softsign({x})",
    "leaky_relu": "F.leaky_relu({x}, 0.2)",  # Keras's default negative slope
    "relu6": "F.relu6({x})",
    "hard_sigmoid": "F.hardsigmoid({x})",
    "exponential": "torch.exp({x})",
    "mish": "F.mish({x})",
    "celu": "F.celu({x})",
    "log_sigmoid": "F.logsigmoid({x})",
    "hard_silu": "F.hardswish({x})",
    "hard_swish": "F.hardswish({x})",
    "hard_tanh": "F.hardtanh({x})",
    "tanh_shrink": "F.tanhshrink({x})",
    "hard_shrink": "F.hardshrink({x}, 0.5)",  # Keras's default threshold
    "soft_shrink": "F.softshrink({x}, 0.5)",
    "squareplus": "({x} + torch.sqrt({x} * {x} + 4)) / 2",  # Keras's default b=4
}


class Gen:
    """Collects module attributes (__init__) and forward lines for one network."""

    def __init__(self, net: NetworkIR, shapes: NetworkShapes) -> None:
        self.net = net
        self.shapes = shapes
        self.init: list[str] = []
        self.fwd: list[str] = []
        self.layout = "last"
        self.names: dict[str, int] = {}
        self.indent = "        "
        self.last_activation: tuple[int, str] | None = None  # (index in fwd, name) of the latest

    def attr(self, hint: str, expr: str, comment: str = "") -> str:
        base = hint.lower()
        n = self.names.get(base, 0)
        self.names[base] = n + 1
        name = f"{base}{n}"
        self.init.append(f"        self.{name} = {expr}" + (f"  # {comment}" if comment else ""))
        return f"self.{name}"

    def emit(self, line: str) -> None:
        self.fwd.append(self.indent + line)

    def to_first(self) -> None:
        if self.layout == "last":
            self.emit("x = x.movedim(-1, 1)  # channels-last -> channels-first")
            self.layout = "first"

    def to_last(self) -> None:
        if self.layout == "first":
            self.emit("x = x.movedim(1, -1)  # channels-first -> channels-last")
            self.layout = "last"

    def activation(self, act: str | None, layer: LayerIR) -> None:
        if act in (None, "linear"):
            return
        if not support.builds(BACKEND, "activation", act):
            raise unsupported(BACKEND, f"activation {act!r}", layer)
        tpl = ACTIVATIONS[act]
        dim = 1 if self.layout == "first" else -1
        self.last_activation = (len(self.fwd), act) if dim == -1 else None
        self.emit("x = " + tpl.format(x="x", dim=dim))


def init_weight(g: Gen, layer: LayerIR, module: str, fan_in: int, fan_out: int) -> None:
    """A kernel_initializer written in the program, applied as Keras defines it (the table
    in compiler.layers); none written keeps PyTorch's own default."""
    name = layer.params.get("kernel_initializer")
    if not isinstance(name, str):
        return
    if BACKEND not in support.INITIALIZERS.get(name, ()):
        raise unsupported(BACKEND, f"kernel_initializer {name!r}", layer)
    tpl = INITIALIZERS[name]
    trunc = 0.87962566103423978  # the std of a unit normal truncated at 2 std
    g.init.append("        " + tpl.format(
        w=f"{module}.weight", glorot_std=repr(math.sqrt(2 / (fan_in + fan_out)) / trunc),
        he_std=repr(math.sqrt(2 / fan_in) / trunc), lecun_std=repr(math.sqrt(1 / fan_in) / trunc)))


def _tuple(v, n: int) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _pad_expr(pads: list[tuple[int, int]], value: str = "0.0") -> str | None:
    if all(a == 0 and b == 0 for a, b in pads):
        return None
    flat: list[int] = []
    for a, b in reversed(pads):  # F.pad lists the last axis first
        flat.extend([a, b])
    return f"lambda t: F.pad(t, {tuple(flat)!r}, value={value})"


def _spatial_in(shape: Shape, n: int) -> tuple:
    return tuple(shape[:n])


def conv(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape, n: int) -> None:
    g.to_first()
    k = _tuple(p["kernel_size"], n)
    st = _tuple(p.get("strides", 1), n)
    dil = _tuple(p.get("dilation_rate", 1), n)
    pad = p.get("padding", "valid")
    padding = 0
    if pad == "same":
        pe = _pad_expr(same_pads(_spatial_in(s, n), k, st, dil))
        if pe:
            g.emit(f"x = {g.attr('pad', f'Lambda({pe})')}(x)")
    elif isinstance(pad, int):
        padding = pad
    m = g.attr(f"conv{n}d", f"nn.Conv{n}d({s[n]}, {p['filters']}, kernel_size={k}, stride={st}, "
               f"padding={padding}, dilation={dil}, bias={p.get('use_bias', True)})")
    init_weight(g, layer, m, s[n] * math.prod(k), p["filters"] * math.prod(k))
    g.emit(f"x = {m}(x)")
    g.activation(p.get("activation"), layer)


def conv_transpose(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    g.to_first()
    k = _tuple(p["kernel_size"], 2)
    st = _tuple(p.get("strides", 1), 2)
    why = deconv_torch_refusal(k, st, p.get("padding", "valid"))
    if why is not None:
        raise unsupported(BACKEND, why, layer)
    m = g.attr("deconv", f"nn.ConvTranspose2d({s[2]}, {p['filters']}, kernel_size={k}, stride={st}, "
               f"bias={p.get('use_bias', True)})")
    g.emit(f"x = {m}(x)")
    if p.get("padding", "valid") == "same":
        (a, b), (c, d) = [((ki - si) // 2, (ki - si) - (ki - si) // 2) for ki, si in zip(k, st, strict=True)]
        g.emit(f"x = x[:, :, {a}:x.shape[2] - {b}, {c}:x.shape[3] - {d}]")
    g.activation(p.get("activation"), layer)


def _window_2d(g: Gen, p: dict, s: Shape) -> tuple[tuple, tuple, tuple]:
    """Kernel, strides and dilation of a 2-D window layer; pads first for Keras's "same"."""
    g.to_first()
    k = _tuple(p["kernel_size"], 2)
    st = _tuple(p.get("strides", 1), 2)
    dil = _tuple(p.get("dilation_rate", 1), 2)
    if p.get("padding", "valid") == "same":
        pe = _pad_expr(same_pads(s[:2], k, st, dil))
        if pe:
            g.emit(f"x = {g.attr('pad', f'Lambda({pe})')}(x)")
    return k, st, dil


def depthwise(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    k, st, dil = _window_2d(g, p, s)
    c = s[2]
    m = g.attr("depthwise", f"nn.Conv2d({c}, {c * p['depth_multiplier']}, kernel_size={k}, stride={st}, "
               f"dilation={dil}, groups={c}, bias={p.get('use_bias', True)})")
    g.emit(f"x = {m}(x)")
    g.activation(p.get("activation"), layer)


def separable(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    k, st, dil = _window_2d(g, p, s)
    c, dm = s[2], p.get("depth_multiplier", 1)
    dw = g.attr("depthwise", f"nn.Conv2d({c}, {c * dm}, kernel_size={k}, stride={st}, dilation={dil}, "
                f"groups={c}, bias=False)")
    pw = g.attr("pointwise", f"nn.Conv2d({c * dm}, {p['filters']}, kernel_size=1, bias={p.get('use_bias', True)})")
    g.emit(f"x = {pw}({dw}(x))")
    g.activation(p.get("activation"), layer)


def pool(kind: str, n: int) -> Callable:
    def build(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
        g.to_first()
        k = _tuple(p["pool_size"], n)
        st = _tuple(p.get("strides") or p["pool_size"], n)
        if p.get("padding", "valid") == "same":
            pads = same_pads(s[:n], k, st, (1,) * n)
            if kind == "Max":
                pe = _pad_expr(pads, value="float('-inf')")
                if pe:
                    g.emit(f"x = {g.attr('pad', f'Lambda({pe})')}(x)")
                m = g.attr(f"maxpool{n}d", f"nn.MaxPool{n}d(kernel_size={k}, stride={st})")
            else:
                why = avgpool_torch_refusal(s[:n], k, st)
                if why is not None:
                    raise unsupported(BACKEND, why, layer)
                m = g.attr(f"avgpool{n}d", f"nn.AvgPool{n}d(kernel_size={k}, stride={st}, "
                           f"padding={tuple(a for a, _ in pads)}, count_include_pad=False)")
        else:
            cls = "MaxPool" if kind == "Max" else "AvgPool"
            m = g.attr(f"{cls.lower()}{n}d", f"nn.{cls}{n}d(kernel_size={k}, stride={st})")
        g.emit(f"x = {m}(x)")

    return build


def global_pool(kind: str, n: int) -> Callable:
    def build(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
        dims = tuple(range(1, n + 1)) if g.layout == "last" else tuple(range(2, n + 2))
        fn = "amax" if kind == "Max" else "mean"
        g.emit(f"x = x.{fn}(dim={dims}, keepdim={bool(p.get('keepdims'))})")

    return build


def dense(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    g.to_last()
    m = g.attr("linear", f"nn.Linear({s[-1]}, {p['units']}, bias={p.get('use_bias', True)})")
    init_weight(g, layer, m, s[-1], p["units"])
    g.emit(f"x = {m}(x)")
    g.activation(p.get("activation"), layer)


def activation(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    g.activation(p["activation"], layer)


def flatten(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    g.to_last()
    g.emit("x = torch.flatten(x, 1)")


def reshape(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    g.to_last()
    g.emit(f"x = x.reshape(x.shape[0], *{tuple(o)!r})")


def dropout(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    m = g.attr("dropout", f"nn.Dropout({p['rate']!r})")
    g.emit(f"x = {m}(x)")


def spatial_dropout(n: int) -> Callable:
    def build(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
        g.to_first()
        m = g.attr("spatial_dropout", f"nn.Dropout{n}d({p['rate']!r})")
        g.emit(f"x = {m}(x)")

    return build


def gaussian_noise(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    g.emit(f"x = x + torch.randn_like(x) * {p['stddev']!r} if self.training else x")


def upsampling(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    g.to_first()
    size = _tuple(p.get("size", 2), 2)
    m = g.attr("upsample", f"nn.Upsample(scale_factor={tuple(float(v) for v in size)}, "
               f"mode={lit(p.get('interpolation', 'nearest'))})")
    g.emit(f"x = {m}(x)")


def batchnorm(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    rank = len(s)
    why = batchnorm_torch_refusal(rank, p.get("axis", -1))
    if why is not None:
        raise unsupported(BACKEND, why, layer)
    kind = {1: 1, 2: 1, 3: 2, 4: 3}[rank]
    if rank > 1:
        g.to_first()
    else:
        g.to_last()
    m = g.attr("batchnorm", f"nn.BatchNorm{kind}d({s[-1]}, eps={p.get('epsilon', 0.001)!r}, "
               f"momentum={round(1 - p.get('momentum', 0.99), 6)!r}, affine={bool(p.get('center', True))})")
    g.emit(f"x = {m}(x)")


def layernorm(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    g.to_last()
    m = g.attr("layernorm", f"nn.LayerNorm({s[-1]}, eps={p.get('epsilon', 0.001)!r})")
    g.emit(f"x = {m}(x)")


def groupnorm(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    if len(s) > 1:
        g.to_first()
    m = g.attr("groupnorm", f"nn.GroupNorm({p['groups']}, {s[-1]}, eps={p.get('epsilon', 0.001)!r})")
    g.emit(f"x = {m}(x)")


def embedding(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    g.to_last()
    m = g.attr("embedding", f"nn.Embedding({p['input_dim']}, {p['output_dim']})")
    g.emit(f"x = {m}(x.long())")


_RNN = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}


def _rnn_module(g: Gen, layer: LayerIR, p: dict, features: int, bidirectional: bool) -> str:
    cls = _RNN[layer.name]
    why = support.refusal(BACKEND, layer.name, p)  # its activation, recurrent_dropout, return_state
    if why is not None:
        raise unsupported(BACKEND, why, layer)
    act = p.get("activation", "tanh")
    extra = f", nonlinearity={lit(act)}" if cls == "RNN" else ""
    if p.get("dropout", 0.0):
        d = g.attr("rnn_input_dropout", f"nn.Dropout({p['dropout']!r})",
                   "input dropout (Keras reuses one mask across timesteps)")
        g.emit(f"x = {d}(x)")
    if p.get("go_backwards"):
        g.emit("x = torch.flip(x, dims=(1,))")
    return g.attr(cls.lower(), f"nn.{cls}({features}, {p['units']}, batch_first=True, "
                  f"bias={p.get('use_bias', True)}{extra}"
                  f"{', bidirectional=True' if bidirectional else ''})")


def rnn(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    g.to_last()
    m = _rnn_module(g, layer, p, s[-1], False)
    g.emit(f"x, _ = {m}(x)")
    if not p.get("return_sequences"):
        g.emit("x = x[:, -1, :]")


def bidirectional(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    g.to_last()
    inner = p["layer"]
    ip = inner.full_params()
    m = _rnn_module(g, inner, ip, s[-1], True)
    mode = p.get("merge_mode", "concat")
    u = ip["units"]
    if ip.get("return_sequences"):
        g.emit(f"x, _ = {m}(x)")
        fwd, bwd = f"x[..., :{u}]", f"x[..., {u}:]"
    else:
        g.emit(f"_, h = {m}(x)")
        if inner.name == "LSTM":
            g.emit("h = h[0]")
        fwd, bwd = "h[-2]", "h[-1]"
    merge = {"concat": f"torch.cat([{fwd}, {bwd}], dim=-1)", "sum": f"{fwd} + {bwd}",
             "mul": f"{fwd} * {bwd}", "ave": f"({fwd} + {bwd}) / 2"}[mode]
    g.emit(f"x = {merge}")


def time_distributed(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    g.to_last()
    inner = p["layer"]
    g.emit("steps = x.shape[1]")
    g.emit("x = x.reshape(x.shape[0] * steps, *x.shape[2:])")
    inner_out = o[1:]
    build_layer(g, inner, tuple(s[1:]), tuple(inner_out))
    g.to_last()
    g.emit("x = x.reshape(-1, steps, *x.shape[1:])")


def mha(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    g.to_last()
    d, h, kd = s[-1], p["num_heads"], p["key_dim"]
    if not mha_fits_torch(d, h, kd, p.get("value_dim")):
        raise unsupported(BACKEND, "MultiHeadAttention with num_heads*key_dim different from the features", layer)
    m = g.attr("attention", f"nn.MultiheadAttention({d}, {h}, dropout={p.get('dropout', 0.0)!r}, batch_first=True)")
    g.emit(f"x, _ = {m}(x, x, x, need_weights=False)")


def transformer(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    g.to_last()
    act = p.get("activation", "relu")  # one compiler.support accepts (build_layer asked it)
    m = g.attr("encoder", f"nn.TransformerEncoderLayer({s[-1]}, {p['num_heads']}, dim_feedforward={p['ff_dim']}, "
               f"dropout={p.get('dropout', 0.1)!r}, activation={lit(act)}, batch_first=True, layer_norm_eps=1e-5)")
    g.emit(f"x = {m}(x)")


def residual(g: Gen, layer: LayerIR, p: dict, s: Shape, o: Shape) -> None:
    saved = g.layout
    n = g.names.get("identity", 0)
    g.names["identity"] = n + 1
    name = f"identity{n}"
    g.emit(f"{name} = x")
    for child, (cs, co) in zip(layer.children or [], _child_shapes(g, layer, s), strict=True):
        build_layer(g, child, cs, co)
    if saved == "first":
        g.to_first()
    else:
        g.to_last()
    g.emit(f"x = x + {name}")


def _child_shapes(g: Gen, layer: LayerIR, s: Shape) -> list[tuple[Shape, Shape]]:
    """Input and output shape of each child of a block (concrete: no HPO is left)."""
    from compiler.shapes import Inference

    inf = Inference(g.net)
    out = []
    state = {s: ()}
    for child in layer.children or []:
        ls = inf.layer(child, state, 0, 0)
        (cs,) = list(state)
        (co,) = list(ls.outputs)
        out.append((cs, co))
        state = ls.outputs
    return out


BUILDERS: dict[str, Callable[[Gen, LayerIR, dict, Shape, Shape], None]] = {
    "Dense": dense,
    "Output": dense,
    "Activation": activation,
    "Flatten": flatten,
    "Reshape": reshape,
    "Dropout": dropout,
    "SpatialDropout1D": spatial_dropout(1),
    "SpatialDropout2D": spatial_dropout(2),
    "GaussianNoise": gaussian_noise,
    "Conv1D": lambda g, la, p, s, o: conv(g, la, p, s, o, 1),
    "Conv2D": lambda g, la, p, s, o: conv(g, la, p, s, o, 2),
    "Conv3D": lambda g, la, p, s, o: conv(g, la, p, s, o, 3),
    "Conv2DTranspose": conv_transpose,
    "DepthwiseConv2D": depthwise,
    "SeparableConv2D": separable,
    **{f"{k}Pooling{n}D": pool(k, n) for k in ("Max", "Average") for n in (1, 2, 3)},
    **{f"Global{k}Pooling{n}D": global_pool(k, n) for k in ("Max", "Average") for n in (1, 2, 3)},
    "UpSampling2D": upsampling,
    "BatchNormalization": batchnorm,
    "LayerNormalization": layernorm,
    "GroupNormalization": groupnorm,
    "Embedding": embedding,
    "SimpleRNN": rnn,
    "LSTM": rnn,
    "GRU": rnn,
    "Bidirectional": bidirectional,
    "TimeDistributed": time_distributed,
    "MultiHeadAttention": mha,
    "TransformerEncoder": transformer,
    "ResidualConnection": residual,
}

# Parameters PyTorch adds over Keras's count for the same layer (two bias vectors per gate).
EXTRA_PARAMS: dict[str, Callable[[dict], int]] = {
    "SimpleRNN": lambda p: p["units"] if p.get("use_bias", True) else 0,
    "LSTM": lambda p: 4 * p["units"] if p.get("use_bias", True) else 0,
}


def build_layer(g: Gen, layer: LayerIR, s: Shape, o: Shape) -> None:
    if layer.spec is None:
        raise unsupported(BACKEND, f"layer {layer.name}", layer)
    p = layer.full_params()
    why = support.refusal(BACKEND, layer.spec.name, p)
    if why is not None:
        raise unsupported(BACKEND, why, layer)
    builder = BUILDERS[layer.spec.name]
    builder(g, layer, p, s, o)


def _loss_block(loss: str, act: str | None, params: dict) -> list[str]:
    L: dict[str, list[str]] = {
        "sparse_categorical_crossentropy": (
            ["    return lambda out, y: F.nll_loss(torch.log(out.clamp_min(1e-7)), y.long())"] if act == "softmax"
            else ["    return lambda out, y: F.cross_entropy(out, y.long())"]),
        "categorical_crossentropy": [
            "    def loss(out, y):",
            "        if y.dim() == 1:",
            "            y = F.one_hot(y.long(), out.shape[-1]).float()",
            ("        return -(y * torch.log(out.clamp_min(1e-7))).sum(dim=-1).mean()" if act == "softmax"
             else "        return -(y * F.log_softmax(out, dim=-1)).sum(dim=-1).mean()"),
            "    return loss",
        ],
        "binary_crossentropy": [
            ("    return lambda out, y: F.binary_cross_entropy(out.clamp(1e-7, 1 - 1e-7), "
             "y.float().reshape(out.shape))") if act == "sigmoid" else
            "    return lambda out, y: F.binary_cross_entropy_with_logits(out, y.float().reshape(out.shape))"],
        "mse": ["    return lambda out, y: F.mse_loss(out, y.float().reshape(out.shape))"],
        "mae": ["    return lambda out, y: F.l1_loss(out, y.float().reshape(out.shape))"],
        "huber": [f"    return lambda out, y: F.huber_loss(out, y.float().reshape(out.shape), "
                  f"delta={params.get('delta', 1.0)!r})"],
        "hinge": ["    return lambda out, y: torch.clamp(1 - y.float().reshape(out.shape) * out, min=0).mean()"],
        "squared_hinge": ["    return lambda out, y: (torch.clamp(1 - y.float().reshape(out.shape) * out, min=0) ** 2)"
                          ".mean()"],
        "kl_divergence": ["    return lambda out, y: F.kl_div(torch.log(out.clamp_min(1e-7)), y.float(), "
                          "reduction='batchmean')"],
        "poisson": ["    return lambda out, y: F.poisson_nll_loss(out, y.float().reshape(out.shape), "
                    "log_input=False)"],
        "log_cosh": ["    return lambda out, y: torch.log(torch.cosh(out - y.float().reshape(out.shape))).mean()"],
    }
    return L[loss]


_OPT = {"Adam": "Adam", "AdamW": "AdamW", "SGD": "SGD", "RMSprop": "RMSprop", "Adagrad": "Adagrad",
        "Adadelta": "Adadelta", "Adamax": "Adamax", "Nadam": "NAdam"}
# Optimizers with a fused kernel on CPU and GPU: one step updates every parameter at once
# (PyTorch's default on CPU is a Python loop over them; ~20% of a small model's training time).
FUSED = frozenset({"Adam", "AdamW", "SGD", "Adagrad"})


def _optimizer_block(net: NetworkIR) -> list[str]:
    name, params, sched = optimizer_parts(net)
    why = support.refusal(BACKEND, name, params)  # clipnorm, clipvalue
    if why is not None:
        raise Unsupported(f"{why} is not supported by the {BACKEND} backend",
                          net.optimizer.start, net.optimizer.end)
    lr = sched.params["initial_learning_rate"] if sched else params.get("learning_rate")
    args = []
    if lr is not None:
        args.append(f"lr={lr!r}")
    b1, b2 = params.get("beta_1"), params.get("beta_2")
    if b1 is not None or b2 is not None:
        args.append(f"betas=({(b1 if b1 is not None else 0.9)!r}, {(b2 if b2 is not None else 0.999)!r})")
    for key, tkey in (("epsilon", "eps"), ("momentum", "momentum"), ("nesterov", "nesterov"),
                      ("weight_decay", "weight_decay"), ("amsgrad", "amsgrad"), ("rho", "alpha" if name == "RMSprop" else "rho"),
                      ("centered", "centered"), ("initial_accumulator_value", "initial_accumulator_value")):
        v = params.get(key)
        if v is not None:
            args.append(f"{tkey}={v!r}")
    if _OPT[name] in FUSED:
        args.append("fused=True")
    lines = [f"    optimizer = torch.optim.{_OPT[name]}(model.parameters(), {', '.join(args)})"]
    if sched is None:
        lines.append("    return optimizer, None")
        return lines
    sp = sched.params
    ds = sp.get("decay_steps")
    formulas = {
        "ExponentialDecay": (f"{sp.get('decay_rate')!r} ** "
                             + (f"(step // {ds})" if sp.get("staircase") else f"(step / {ds})")),
        "InverseTimeDecay": (f"1.0 / (1.0 + {sp.get('decay_rate')!r} * "
                             + (f"(step // {ds}))" if sp.get("staircase") else f"step / {ds})")),
        "CosineDecay": (f"{sp.get('alpha', 0.0)!r} + (1 - {sp.get('alpha', 0.0)!r}) * 0.5 * "
                        f"(1 + math.cos(math.pi * min(step, {ds}) / {ds}))"),
        "PolynomialDecay": (f"(({sp['initial_learning_rate']!r} - {sp.get('end_learning_rate', 0.0001)!r}) * "
                            f"(1 - min(step, {ds}) / {ds}) ** {sp.get('power', 1.0)!r} + "
                            f"{sp.get('end_learning_rate', 0.0001)!r}) / {sp['initial_learning_rate']!r}"),
        "StepDecay": f"{sp.get('gamma', 0.1)!r} ** (step // {sp.get('step_size')})",
    }
    lines.append(f"    # {sched.name}: the learning rate is multiplied by this factor after `step` steps")
    lines.append(f"    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: {formulas[sched.name]})")
    lines.append("    return optimizer, scheduler")
    return lines


# An output activation whose loss has an exact form on the values before it: the model then
# has a `logits(x)` method and the file a `build_logits_loss()`, and the runner trains on those
# (log(softmax) computed in one step, no clamp: Keras does the same for these outputs).
LOGITS_LOSSES = {
    "softmax": ("sparse_categorical_crossentropy", "categorical_crossentropy"),
    "sigmoid": ("binary_crossentropy",),
}


def _logits_line(g: Gen, act: str | None, loss: str, shapes: NetworkShapes) -> int | None:
    """The index in g.fwd of the output activation to split off, when it is the last
    operation of forward(), over the last axis of a flat (batch, classes) output."""
    if act is None or loss not in LOGITS_LOSSES.get(act, ()) or g.last_activation is None:
        return None
    at, name = g.last_activation
    (out,) = list(shapes.layers[-1].outputs) if shapes.layers else [()]
    if name != act or len(out) != 1 or any(not line.strip().startswith("#") for line in g.fwd[at + 1:]):
        return None
    return at


def _forward(g: Gen, at: int | None) -> list[str]:
    if at is None:
        return ["    def forward(self, x):", *g.fwd, "        return x", ""]
    act = g.last_activation[1]
    return [
        "    def forward(self, x):",
        "        return " + ACTIVATIONS[act].format(x="self.logits(x)", dim=-1),
        "",
        "    def logits(self, x):",
        f'        """The output before its {act}: what build_logits_loss() reads."""',
        *g.fwd[:at], *g.fwd[at + 1:],
        "        return x",
        "",
    ]


def generate(a: Analysis, net: NetworkIR, shapes: NetworkShapes) -> str:
    g = Gen(net, shapes)
    try:
        for i, ls in enumerate(shapes.layers):
            (s,) = list(ls.inputs)
            (o,) = list(ls.outputs)
            build_layer(g, ls.layer, s, o)
            g.emit(f"# {i}: {ls.layer.path} {ls.layer.name} -> {fmt(o)} [{g.layout}]")
        g.to_last()
        act = output_activation(net)
        loss = net.loss or "sparse_categorical_crossentropy"
        loss_lines = _loss_block(loss, act, net.loss_params)
        at = _logits_line(g, act, loss, shapes)
        logits_loss_lines = _loss_block(loss, None, net.loss_params) if at is not None else []
        opt_lines = _optimizer_block(net)
    except Unsupported as err:
        raise CodegenError(str(err), [n701(err)], a) from None
    cls = ident(net.name)
    uses_lambda = any("Lambda(" in line for line in g.init)
    uses_math = any("math." in line for line in (*g.init, *g.fwd, *opt_lines, *loss_lines))
    out = [
        *header(cls, BACKEND),
        "",
        *(["import math", ""] if uses_math else []),
        "import torch",
        "import torch.nn.functional as F",
        "from torch import nn",
        "",
        f"BACKEND = {BACKEND!r}",
        f"DEFAULT_DATASET = {default_dataset(net)!r}",
        config_block(net, BACKEND, act),
        "",
    ]
    if uses_lambda:
        out += [
            "",
            "class Lambda(nn.Module):",
            '    """Wraps a padding function so it shows in the module tree."""',
            "",
            "    def __init__(self, fn):",
            "        super().__init__()",
            "        self.fn = fn",
            "",
            "    def forward(self, x):",
            "        return self.fn(x)",
            "",
        ]
    out += [
        "",
        f"class {cls}(nn.Module):",
        f'    """Input: float tensor (batch, {", ".join(map(str, net.inputs[0]))}), channels last."""',
        "",
        "    def __init__(self):",
        "        super().__init__()",
        *(g.init or ["        pass"]),
        "",
        *_forward(g, at),
        "",
        "def build_model():",
        f"    return {cls}()",
        "",
        "",
        "def build_optimizer(model):",
        *opt_lines,
        "",
        "",
        "def build_loss():",
        *loss_lines,
        *(["", "", "def build_logits_loss():",
           '    """build_loss() computed from model.logits(x): what the runner trains with (as Keras does',
           '    for a softmax or sigmoid output)."""',
           *logits_loss_lines] if at is not None else []),
        main_block(BACKEND),
    ]
    return "\n".join(out)
