"""The layer registry: ONE entry per layer.

An entry says everything the toolchain knows about a layer: its parameters (in
positional order, with types, defaults and allowed ranges), its doc line, how its output
shape follows from its input, how Keras counts its parameters, and whether it holds a
block of layers or wraps another layer. Adding a layer means adding one entry here, plus
its builders in `codegen/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from compiler import dims as D
from compiler.dims import Dim, Shape, ShapeError, Span
from compiler.display import show

REQUIRED = object()  # sentinel default: the argument must be given

ACTIVATIONS = (
    "relu", "sigmoid", "tanh", "softmax", "linear", "elu", "selu", "gelu", "swish", "silu",
    "softplus", "softsign", "leaky_relu", "relu6", "hard_sigmoid", "exponential", "log_softmax",
    "mish", "celu", "log_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "tanh_shrink",
    "hard_shrink", "soft_shrink", "squareplus", "sparse_plus", "sparsemax",
)
PADDINGS = ("valid", "same")

# Weight initializers both backends build, as Keras defines them: Keras takes the name, the
# PyTorch module applies the same distribution to the weight `{w}` ({fan_in}, {fan_out}:
# the layer's fans; Keras' normal initializers are truncated at 2 std, hence .8796).
# A name outside this table is N303 at check time, so no backend ignores or rejects it later.
INITIALIZERS: dict[str, str] = {
    "glorot_uniform": "nn.init.xavier_uniform_({w})",
    "glorot_normal": "nn.init.trunc_normal_({w}, std={glorot_std}, a=-2 * {glorot_std}, b=2 * {glorot_std})",
    "he_uniform": 'nn.init.kaiming_uniform_({w}, nonlinearity="relu")',
    "he_normal": "nn.init.trunc_normal_({w}, std={he_std}, a=-2 * {he_std}, b=2 * {he_std})",
    "lecun_uniform": 'nn.init.kaiming_uniform_({w}, nonlinearity="linear")',
    "lecun_normal": "nn.init.trunc_normal_({w}, std={lecun_std}, a=-2 * {lecun_std}, b=2 * {lecun_std})",
    "orthogonal": "nn.init.orthogonal_({w})",
    "random_uniform": "nn.init.uniform_({w}, -0.05, 0.05)",
    "random_normal": "nn.init.normal_({w}, 0.0, 0.05)",
    "truncated_normal": "nn.init.trunc_normal_({w}, std=0.05, a=-0.1, b=0.1)",
    "zeros": "nn.init.zeros_({w})",
    "ones": "nn.init.ones_({w})",
}


@dataclass(frozen=True, slots=True)
class Param:
    """One layer parameter.

    kind: int | float | bool | str | enum | activation | padding | ints (a tuple of `rank`
    ints; a single int means the same on every axis) | shape | layer | any.
    """

    name: str
    kind: str
    default: Any = REQUIRED
    min: float | None = None
    max: float | None = None
    min_open: bool = False  # min itself is excluded
    max_open: bool = False
    choices: tuple[str, ...] = ()
    rank: int = 0
    shape: bool = False  # changes the output shape: HPO values of it are enumerated
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


Rule = Callable[[Shape, dict, list], Shape]
Count = Callable[[Shape, dict, Shape], Dim]


def _zero(_s: Shape, _p: dict, _o: Shape) -> Dim:
    return 0


@dataclass(frozen=True, slots=True)
class LayerSpec:
    name: str
    params: tuple[Param, ...]
    doc: str
    shape: Rule
    count: Count = _zero
    aliases: tuple[str, ...] = ()
    block: str = "no"  # no | required | optional
    wrapper: bool = False  # the first parameter is a layer
    category: str = "core"
    positional: int = -1  # how many params may be given positionally (-1: all)
    by_param: dict[str, Param] = field(default_factory=dict, compare=False)
    # The optional parameters' defaults, in order: what a layer's arguments are laid over.
    defaults: dict[str, Any] = field(default_factory=dict, compare=False)

    def param(self, name: str) -> Param | None:
        return self.by_param.get(name)

    def signature(self) -> str:
        parts = []
        for p in self.params:
            if p.required:
                parts.append(p.name)
            else:
                parts.append(f"{p.name}={show(p.default)}")
        return f"{self.name}({', '.join(parts)})"


# --------------------------------------------------------------------------- helpers


def _need_rank(layer: str, s: Shape, ranks: tuple[int, ...], what: str) -> None:
    if len(s) not in ranks:
        raise ShapeError("N501", f"{layer} expects {what}, but its input is {D.fmt(s)}")


def _tuple(v: Any, n: int) -> tuple:
    if isinstance(v, (list, tuple)):
        return tuple(v)
    return (v,) * n


_AXES = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _spatial(layer: str, s: Shape, n: int, p: dict) -> tuple[tuple, Dim, bool]:
    first = p.get("data_format") == "channels_first"
    need = n + 1
    if len(s) != need:
        names = ", ".join(_AXES[n]) + ", channels"
        raise ShapeError(
            "N501",
            f"{layer} expects a {need}-D input ({names}), but its input is {D.fmt(s)}",
        )
    if first:
        return s[1:], s[0], True
    return s[:n], s[n], False


def _pack(spatial: tuple, c: Dim, first: bool) -> Shape:
    return (c, *spatial) if first else (*spatial, c)


def _check_positive(layer: str, n: int, out: tuple, before: tuple) -> None:
    for axis, (o, b) in enumerate(zip(out, before, strict=True)):
        low = D.lo(o)
        if low is not None and low < 1:
            name = _AXES[n][axis]
            raise ShapeError(
                "N502",
                f"{layer}: the {name} becomes {low} (from {D.fmt_dim(b)}); "
                "use padding=\"same\", a smaller kernel or stride, or a larger input",
            )


def _conv_geometry(layer: str, s: Shape, n: int, p: dict, window: str) -> tuple:
    spatial, c, first = _spatial(layer, s, n, p)
    k = _tuple(p[window], n)
    strides = p.get("strides")
    st = _tuple(k if strides is None else strides, n)
    dil = _tuple(p.get("dilation_rate", 1), n)
    pad = p.get("padding", "valid")
    pads = _tuple(pad, n) if not isinstance(pad, str) else (pad,) * n
    out = tuple(
        D.conv_out(x, ki, si, pi, di)
        for x, ki, si, pi, di in zip(spatial, k, st, pads, dil, strict=True)
    )
    _check_positive(layer, n, out, spatial)
    return out, c, first, k


def _conv(n: int) -> Rule:
    name = f"Conv{n}D"

    def rule(s: Shape, p: dict, warn: list) -> Shape:
        out, _c, first, _k = _conv_geometry(name, s, n, p, "kernel_size")
        return _pack(out, p["filters"], first)

    return rule


def _conv_count(n: int) -> Count:
    def count(s: Shape, p: dict, o: Shape) -> Dim:
        k, c = _kernel_and_channels(s, p, n)
        w = D.mul(D.mul(k, c), p["filters"])
        return D.add(w, p["filters"]) if p.get("use_bias", True) else w

    return count


def _pool(n: int, kind: str) -> Rule:
    name = f"{kind}Pooling{n}D"

    def rule(s: Shape, p: dict, warn: list) -> Shape:
        q = dict(p)
        if q.get("strides") is None:
            q["strides"] = q["pool_size"]
        out, c, first, _ = _conv_geometry(name, s, n, q, "pool_size")
        if kind == "Average" and q.get("padding", "valid") == "same" and not first:
            _torch_refuses(warn, avgpool_torch_refusal(s[:n], _tuple(q["pool_size"], n),
                                                        _tuple(q["strides"], n)))
        return _pack(out, c, first)

    return rule


def _global_pool(n: int, kind: str) -> Rule:
    name = f"Global{kind}Pooling{n}D"

    def rule(s: Shape, p: dict, warn: list) -> Shape:
        spatial, c, first = _spatial(name, s, n, p)
        if p.get("keepdims"):
            return _pack((1,) * n, c, first)
        return (c,)

    return rule


def _dense(name: str) -> Rule:
    def rule(s: Shape, p: dict, warn: list) -> Shape:
        if not s:
            raise ShapeError("N501", f"{name} needs at least a 1-D input")
        if s[-1] is None:
            raise ShapeError("N501", f"{name} needs a known last dimension, got {D.fmt(s)}")
        if len(s) > 1:
            warn.append((
                "N504",
                f"{name} on a {len(s)}-D input {D.fmt(s)} acts on the last axis only "
                f"(output {D.fmt((*s[:-1], p['units']))}); insert Flatten() before it "
                "to classify the whole feature map",
            ))
        return (*s[:-1], p["units"])

    return rule


def _dense_count(s: Shape, p: dict, o: Shape) -> Dim:
    w = D.mul(s[-1], p["units"])
    return D.add(w, p["units"]) if p.get("use_bias", True) else w


def _identity(s: Shape, p: dict, warn: list) -> Shape:
    return s


def _flatten(s: Shape, p: dict, warn: list) -> Shape:
    return (D.prod(s),)


def _reshape(s: Shape, p: dict, warn: list) -> Shape:
    target = tuple(p["target_shape"])
    total = D.prod(s)
    if sum(1 for t in target if t == -1) > 1:
        raise ShapeError("N503", "Reshape: at most one dimension may be -1")
    known = 1
    for t in target:
        if t != -1:
            known *= t
    if isinstance(total, Span) or total is None:
        return tuple(None if t == -1 else t for t in target)
    if -1 in target:
        if total % known:
            raise ShapeError(
                "N503", f"Reshape: cannot reshape {D.fmt(s)} ({total} values) into {target}"
            )
        return tuple(total // known if t == -1 else t for t in target)
    if known != total:
        raise ShapeError(
            "N503",
            f"Reshape: {D.fmt(s)} has {total} values but {D.fmt(target)} needs {known}",
        )
    return target


def _last(s: Shape) -> Dim:
    return s[-1] if s else None


def _batchnorm_count(s: Shape, p: dict, o: Shape) -> Dim:
    # Keras counts gamma, beta and the two moving statistics.
    return D.mul(4, _last(s))


def _norm2_count(s: Shape, p: dict, o: Shape) -> Dim:
    return D.mul(2, _last(s))


def _groupnorm(s: Shape, p: dict, warn: list) -> Shape:
    c, g = _last(s), p["groups"]
    if isinstance(c, int) and c % g:
        raise ShapeError(
            "N505", f"GroupNormalization: {c} channels cannot be split into {g} groups"
        )
    return s


def _spatial_dropout(n: int) -> Rule:
    def rule(s: Shape, p: dict, warn: list) -> Shape:
        _need_rank(f"SpatialDropout{n}D", s, (n + 1,), f"a {n + 1}-D input")
        return s

    return rule


def _embedding(s: Shape, p: dict, warn: list) -> Shape:
    return (*s, p["output_dim"])


def _embedding_count(s: Shape, p: dict, o: Shape) -> Dim:
    return D.mul(p["input_dim"], p["output_dim"])


def _rnn(name: str) -> Rule:
    def rule(s: Shape, p: dict, warn: list) -> Shape:
        _need_rank(name, s, (2,), "a 2-D input (timesteps, features)")
        if p.get("return_sequences"):
            return (s[0], p["units"])
        return (p["units"],)

    return rule


def _rnn_count(gates: int, extra_bias: int) -> Count:
    # Keras: SimpleRNN u(f+u)+u; LSTM 4u(f+u+1); GRU (reset_after) 3u(f+u+2).
    def count(s: Shape, p: dict, o: Shape) -> Dim:
        u = p["units"]
        inner = D.add(D.add(s[-1], u), extra_bias)
        return D.mul(D.mul(gates, u), inner)

    return count


def _inner(p: dict):
    return p["layer"]


def _bidirectional(s: Shape, p: dict, warn: list) -> Shape:
    inner = _inner(p)
    if inner.spec.name not in ("SimpleRNN", "LSTM", "GRU"):
        raise ShapeError("N501", f"Bidirectional wraps a recurrent layer, not {inner.spec.name}")
    out = inner.spec.shape(s, inner.params, warn)
    if p.get("merge_mode", "concat") == "concat":
        return (*out[:-1], D.mul(2, out[-1]))
    return out


def _bidirectional_count(s: Shape, p: dict, o: Shape) -> Dim:
    inner = _inner(p)
    return D.mul(2, inner.spec.count(s, inner.params, o))


def _time_distributed(s: Shape, p: dict, warn: list) -> Shape:
    if len(s) < 2:
        raise ShapeError(
            "N501", f"TimeDistributed needs a (timesteps, ...) input, but its input is {D.fmt(s)}"
        )
    inner = _inner(p)
    return (s[0], *inner.spec.shape(s[1:], inner.params, []))


def _time_distributed_count(s: Shape, p: dict, o: Shape) -> Dim:
    inner = _inner(p)
    inner_out = inner.spec.shape(s[1:], inner.params, [])
    return inner.spec.count(s[1:], inner.params, inner_out)


def same_pads(spatial: tuple, k: tuple, s: tuple, d: tuple) -> list[tuple[int, int]]:
    """Keras "same": the padding per axis, the extra one on the right (as TensorFlow)."""
    pads = []
    for n, ki, si, di in zip(spatial, k, s, d, strict=True):
        eff = di * (ki - 1) + 1
        out = -(-n // si)
        total = max((out - 1) * si + eff - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


# PyTorch refusals that depend on the input shape or on several parameters: each is one
# function, which the layer's shape rule asks (so `check` says N701) and the PyTorch
# generator asks (so compile refuses in the same words). None: PyTorch builds it.

def avgpool_torch_refusal(spatial: tuple, pool: tuple, strides: tuple) -> str | None:
    """nn.AvgPoolNd pads both sides alike, by at most half the window: Keras's "same"
    padding that is uneven (or wider) cannot be built with count_include_pad=False."""
    if not all(isinstance(v, int) for v in (*spatial, *pool, *strides)):
        return None
    pads = same_pads(spatial, pool, strides, (1,) * len(pool))
    if any(a != b for a, b in pads) or any(a > k // 2 for (a, _), k in zip(pads, pool, strict=True)):
        return 'AveragePooling with padding="same" and uneven padding'
    return None


def batchnorm_torch_refusal(rank: int, axis: Any) -> str | None:
    """nn.BatchNorm1d/2d/3d normalize the channels axis (the last, in Keras's layout) of a
    1- to 4-D input (without the batch)."""
    if axis not in (-1, rank):
        return "BatchNormalization over an axis other than the last"
    if rank not in (1, 2, 3, 4):
        return f"BatchNormalization on a {rank}-D input"
    return None


def deconv_torch_refusal(kernel: tuple, strides: tuple, padding: Any) -> str | None:
    """Keras's "same" ConvTranspose2d is built by cropping kernel - strides from the output:
    strides above the kernel would need padding, which PyTorch's output_padding is not."""
    if padding == "same" and any(isinstance(k, int) and isinstance(st, int) and k < st
                                 for k, st in zip(kernel, strides, strict=True)):
        return 'Conv2DTranspose with padding="same" and strides above the kernel'
    return None


def _torch_refuses(warn: list, what: str | None) -> None:
    if what is not None:
        warn.append(("N701", f"{what} is not supported by the pytorch backend"))


def _batchnorm(s: Shape, p: dict, warn: list) -> Shape:
    _torch_refuses(warn, batchnorm_torch_refusal(len(s), p.get("axis", -1)))
    return s


def mha_fits_torch(features: Any, num_heads: Any, key_dim: Any, value_dim: Any) -> bool:
    """PyTorch's nn.MultiheadAttention splits the features into the heads: it builds only
    num_heads * key_dim == features (and value_dim == key_dim). Keras builds any."""
    return num_heads * key_dim == features and (value_dim or key_dim) == key_dim


def _mha(s: Shape, p: dict, warn: list) -> Shape:
    if len(s) < 2:
        raise ShapeError(
            "N501", f"MultiHeadAttention needs a (sequence, features) input, got {D.fmt(s)}"
        )
    args = (s[-1], p.get("num_heads"), p.get("key_dim"), p.get("value_dim"))
    known = all(isinstance(v, int) for v in args[:3]) and (args[3] is None or isinstance(args[3], int))
    if known and not mha_fits_torch(*args):
        warn.append(("N701", "MultiHeadAttention with num_heads*key_dim different from the features "
                     "is not supported by the pytorch backend"))
    return s


def _mha_count(s: Shape, p: dict, o: Shape) -> Dim:
    d, h, kd = s[-1], p["num_heads"], p["key_dim"]
    vd = p.get("value_dim") or kd
    hk = D.mul(h, kd)
    hv = D.mul(h, vd)
    qk = D.mul(2, D.add(D.mul(d, hk), hk))
    v = D.add(D.mul(d, hv), hv)
    out = D.add(D.mul(hv, d), d)
    return D.add(D.add(qk, v), out)


def _transformer(s: Shape, p: dict, warn: list) -> Shape:
    _need_rank("TransformerEncoder", s, (2,), "a 2-D input (sequence, features)")
    d, h = s[-1], p["num_heads"]
    if isinstance(d, int) and d % h:
        raise ShapeError(
            "N505",
            f"TransformerEncoder: {d} features cannot be split across {h} heads "
            "(the feature size must be a multiple of num_heads)",
        )
    return s


def _transformer_count(s: Shape, p: dict, o: Shape) -> Dim:
    # Self-attention (q, k, v, out: 4 d*d + 4 d), feed-forward d->ff->d, two LayerNorms.
    d, ff = s[-1], p["ff_dim"]
    attn = D.add(D.mul(4, D.mul(d, d)), D.mul(4, d))
    ffn = D.add(D.add(D.mul(2, D.mul(d, ff)), ff), d)
    return D.add(D.add(attn, ffn), D.mul(4, d))


def _merge_only(name: str) -> Rule:
    def rule(s: Shape, p: dict, warn: list) -> Shape:
        raise ShapeError(
            "N501",
            f"{name} merges several tensors; in a sequence of layers it needs branches "
            "before it (`name: { ... }`) or a ResidualConnection { ... }",
        )

    return rule


def _conv_transpose(s: Shape, p: dict, warn: list) -> Shape:
    spatial, c, first = _spatial("Conv2DTranspose", s, 2, p)
    k = _tuple(p["kernel_size"], 2)
    st = _tuple(p.get("strides", 1), 2)
    out = tuple(
        D.deconv_out(x, ki, si, p.get("padding", "valid"))
        for x, ki, si in zip(spatial, k, st, strict=True)
    )
    _check_positive("Conv2DTranspose", 2, out, spatial)
    _torch_refuses(warn, deconv_torch_refusal(k, st, p.get("padding", "valid")))
    return _pack(out, p["filters"], first)


def _depthwise(s: Shape, p: dict, warn: list) -> Shape:
    out, c, first, _ = _conv_geometry("DepthwiseConv2D", s, 2, p, "kernel_size")
    return _pack(out, D.mul(c, p["depth_multiplier"]), first)


def _kernel_and_channels(s: Shape, p: dict, n: int = 2) -> tuple[int, Dim]:
    """Number of taps of the window, and the input channels."""
    c = s[-1] if p.get("data_format") != "channels_first" else s[0]
    k = 1
    for v in _tuple(p["kernel_size"], n):
        k *= v
    return k, c


def _depthwise_count(s: Shape, p: dict, o: Shape) -> Dim:
    k, c = _kernel_and_channels(s, p)
    cm = D.mul(c, p["depth_multiplier"])
    w = D.mul(k, cm)
    return D.add(w, cm) if p.get("use_bias", True) else w


def _separable(s: Shape, p: dict, warn: list) -> Shape:
    out, _c, first, _ = _conv_geometry("SeparableConv2D", s, 2, p, "kernel_size")
    return _pack(out, p["filters"], first)


def _separable_count(s: Shape, p: dict, o: Shape) -> Dim:
    k, c = _kernel_and_channels(s, p)
    dm = p["depth_multiplier"]
    depthwise = D.mul(D.mul(k, c), dm)
    pointwise = D.mul(D.mul(c, dm), p["filters"])
    total = D.add(depthwise, pointwise)
    return D.add(total, p["filters"]) if p.get("use_bias", True) else total


def _upsampling(s: Shape, p: dict, warn: list) -> Shape:
    spatial, c, first = _spatial("UpSampling2D", s, 2, p)
    size = _tuple(p.get("size", 2), 2)
    return _pack(tuple(D.mul(x, f) for x, f in zip(spatial, size, strict=True)), c, first)


def _residual(s: Shape, p: dict, warn: list) -> Shape:
    # The block's shape is inferred by shapes.py, which holds the children.
    return s


# --------------------------------------------------------------------------- params

def P(name: str, kind: str, default: Any = REQUIRED, **kw: Any) -> Param:
    return Param(name, kind, default, **kw)


def _units(doc: str = "number of output units") -> Param:
    return P("units", "int", min=1, shape=True, doc=doc)


_ACT = P("activation", "activation", None, doc="activation applied to the output")
_BIAS = P("use_bias", "bool", True, doc="add a learned bias")
_PAD = P("padding", "padding", "valid", doc='"valid" (no padding), "same", or an int')
_FMT = P("data_format", "enum", "channels_last", choices=("channels_last", "channels_first"),
         shape=True, doc="where the channels axis is")
_INIT = P("kernel_initializer", "enum", "glorot_uniform", choices=tuple(INITIALIZERS),
          doc="initializer of the weights")
_RATE = P("rate", "float", min=0.0, max=1.0, max_open=True, doc="fraction of inputs dropped")


def _conv_params(n: int) -> tuple[Param, ...]:
    return (
        P("filters", "int", min=1, shape=True, doc="number of output channels"),
        P("kernel_size", "ints", rank=n, min=1, shape=True, doc="size of the convolution window"),
        _ACT,
        P("strides", "ints", 1, rank=n, min=1, shape=True, doc="step of the window"),
        dataclass_replace(_PAD, shape=True),
        P("dilation_rate", "ints", 1, rank=n, min=1, shape=True, doc="spacing of kernel taps"),
        _BIAS,
        _FMT,
        _INIT,
    )


def _pool_params(n: int) -> tuple[Param, ...]:
    return (
        P("pool_size", "ints", 2, rank=n, min=1, shape=True, doc="size of the pooling window"),
        P("strides", "ints", None, rank=n, min=1, shape=True, doc="step (default: pool_size)"),
        dataclass_replace(_PAD, shape=True),
        _FMT,
    )


def dataclass_replace(p: Param, **kw: Any) -> Param:
    from dataclasses import replace

    return replace(p, **kw)


def _rnn_params() -> tuple[Param, ...]:
    return (
        _units(),
        P("return_sequences", "bool", False, shape=True, doc="return the whole sequence"),
        P("activation", "activation", "tanh", doc="activation of the cell"),
        P("dropout", "float", 0.0, min=0.0, max=1.0, max_open=True, doc="input dropout"),
        P("recurrent_dropout", "float", 0.0, min=0.0, max=1.0, max_open=True,
          doc="dropout on the recurrent state"),
        P("return_state", "bool", False, doc="also return the final state"),
        P("go_backwards", "bool", False, doc="process the sequence backwards"),
        _BIAS,
    )


def _spec(name: str, params: tuple[Param, ...], doc: str, shape: Rule, count: Count = _zero,
          **kw: Any) -> LayerSpec:
    spec = LayerSpec(name, params, doc, shape, count, **kw)
    spec.by_param.update({p.name: p for p in params})
    spec.defaults.update({p.name: p.default for p in params if not p.required})
    return spec


_SPECS: list[LayerSpec] = [
    _spec("Dense", (_units(), _ACT, _BIAS, _INIT), "Fully connected layer: output = activation(x·W + b).",
          _dense("Dense"), _dense_count),
    _spec("Output", (_units("number of outputs (classes)"), _ACT, _BIAS, _INIT),
          "The network's output layer: a Dense layer, usually with softmax or sigmoid.",
          _dense("Output"), _dense_count),
    _spec("Activation", (P("activation", "activation", doc="the activation function"),),
          "Applies an activation function.", _identity),
    _spec("Flatten", (), "Flattens everything but the batch axis into one vector.", _flatten,
          category="reshape"),
    _spec("Reshape", (P("target_shape", "shape", shape=True, doc="the new shape (one -1 allowed)"),),
          "Reshapes the input to target_shape (without the batch axis).", _reshape,
          category="reshape"),
    _spec("Dropout", (_RATE, P("seed", "int", None, doc="random seed")),
          "Randomly zeroes a fraction `rate` of inputs while training.", _identity,
          category="regularization"),
    _spec("SpatialDropout1D", (_RATE,), "Drops whole 1-D feature maps.", _spatial_dropout(1),
          category="regularization"),
    _spec("SpatialDropout2D", (_RATE,), "Drops whole 2-D feature maps.", _spatial_dropout(2),
          category="regularization"),
    _spec("GaussianNoise", (P("stddev", "float", min=0.0, doc="standard deviation of the noise"),),
          "Adds zero-centred Gaussian noise while training.", _identity,
          category="regularization"),
    _spec("Conv1D", _conv_params(1), "1-D convolution over (steps, channels).", _conv(1),
          _conv_count(1), category="convolution"),
    _spec("Conv2D", _conv_params(2), "2-D convolution over (height, width, channels).", _conv(2),
          _conv_count(2), category="convolution"),
    _spec("Conv3D", _conv_params(3), "3-D convolution over (depth, height, width, channels).",
          _conv(3), _conv_count(3), category="convolution"),
    _spec("Conv2DTranspose", (
        P("filters", "int", min=1, shape=True, doc="number of output channels"),
        P("kernel_size", "ints", rank=2, min=1, shape=True, doc="size of the window"),
        _ACT,
        P("strides", "ints", 1, rank=2, min=1, shape=True, doc="upsampling step"),
        P("padding", "enum", "valid", choices=PADDINGS, shape=True, doc='"valid" or "same"'),
        _BIAS, _FMT,
    ), "Transposed 2-D convolution (upsampling).", _conv_transpose, _conv_count(2),
        category="convolution"),
    _spec("DepthwiseConv2D", (
        P("kernel_size", "ints", rank=2, min=1, shape=True, doc="size of the window"),
        P("strides", "ints", 1, rank=2, min=1, shape=True, doc="step of the window"),
        dataclass_replace(_PAD, shape=True),
        P("depth_multiplier", "int", 1, min=1, shape=True, doc="output channels per input channel"),
        _ACT, _BIAS, _FMT,
        P("dilation_rate", "ints", 1, rank=2, min=1, shape=True, doc="spacing of kernel taps"),
    ), "Depthwise 2-D convolution: one filter per input channel.", _depthwise, _depthwise_count,
        category="convolution"),
    _spec("SeparableConv2D", (
        P("filters", "int", min=1, shape=True, doc="number of output channels"),
        P("kernel_size", "ints", rank=2, min=1, shape=True, doc="size of the window"),
        _ACT,
        P("strides", "ints", 1, rank=2, min=1, shape=True, doc="step of the window"),
        dataclass_replace(_PAD, shape=True),
        P("depth_multiplier", "int", 1, min=1, doc="depthwise channels per input channel"),
        _BIAS, _FMT,
        P("dilation_rate", "ints", 1, rank=2, min=1, shape=True, doc="spacing of kernel taps"),
    ), "Depthwise then pointwise 2-D convolution.", _separable, _separable_count,
        category="convolution"),
    *[
        _spec(f"{kind}Pooling{n}D", _pool_params(n),
              f"{kind} over {n}-D windows.", _pool(n, kind), category="pooling")
        for kind in ("Max", "Average") for n in (1, 2, 3)
    ],
    *[
        _spec(f"Global{kind}Pooling{n}D", (
            P("keepdims", "bool", False, shape=True, doc="keep the spatial axes with size 1"),
            _FMT,
        ), f"{kind} over all {n}-D positions: one value per channel.", _global_pool(n, kind),
            category="pooling")
        for kind in ("Max", "Average") for n in (1, 2, 3)
    ],
    _spec("UpSampling2D", (
        P("size", "ints", 2, rank=2, min=1, shape=True, doc="upsampling factors"),
        _FMT,
        P("interpolation", "enum", "nearest", choices=("nearest", "bilinear")),
    ), "Repeats rows and columns by `size`.", _upsampling, category="reshape"),
    _spec("BatchNormalization", (
        P("axis", "int", -1, doc="the features axis"),
        P("momentum", "float", 0.99, min=0.0, max=1.0, doc="momentum of the moving averages"),
        P("epsilon", "float", 0.001, min=0.0, min_open=True, doc="added to the variance"),
        P("center", "bool", True), P("scale", "bool", True),
    ), "Normalizes each feature with batch statistics (moving averages at inference).",
        _batchnorm, _batchnorm_count, category="normalization"),
    _spec("LayerNormalization", (
        P("axis", "int", -1, doc="the normalized axis"),
        P("epsilon", "float", 0.001, min=0.0, min_open=True, doc="added to the variance"),
    ), "Normalizes each sample over its features.", _identity, _norm2_count,
        category="normalization"),
    _spec("GroupNormalization", (
        P("groups", "int", 32, min=1, shape=True, doc="number of channel groups"),
        P("axis", "int", -1),
        P("epsilon", "float", 0.001, min=0.0, min_open=True),
    ), "Normalizes groups of channels of each sample.", _groupnorm, _norm2_count,
        category="normalization"),
    _spec("Embedding", (
        P("input_dim", "int", min=1, doc="vocabulary size"),
        P("output_dim", "int", min=1, shape=True, doc="size of each embedding vector"),
        P("mask_zero", "bool", False, doc="treat index 0 as padding"),
    ), "Maps integer token ids to dense vectors.", _embedding, _embedding_count,
        category="embedding"),
    _spec("SimpleRNN", _rnn_params(), "Fully connected recurrent layer.", _rnn("SimpleRNN"),
          _rnn_count(1, 1), category="recurrent"),
    _spec("LSTM", _rnn_params(), "Long short-term memory recurrent layer.", _rnn("LSTM"),
          _rnn_count(4, 1), category="recurrent"),
    _spec("GRU", _rnn_params(), "Gated recurrent unit layer (reset_after, as Keras).",
          _rnn("GRU"), _rnn_count(3, 2), category="recurrent"),
    _spec("Bidirectional", (
        P("layer", "layer", doc="the recurrent layer to run both ways"),
        P("merge_mode", "enum", "concat", choices=("concat", "sum", "mul", "ave"), shape=True,
          doc="how the two directions are combined"),
    ), "Runs a recurrent layer forwards and backwards.", _bidirectional, _bidirectional_count,
        wrapper=True, category="recurrent"),
    _spec("TimeDistributed", (P("layer", "layer", doc="the layer applied at every timestep"),),
          "Applies a layer to every timestep of a sequence.", _time_distributed,
          _time_distributed_count, wrapper=True, category="wrapper"),
    _spec("MultiHeadAttention", (
        P("num_heads", "int", min=1, doc="number of attention heads"),
        P("key_dim", "int", min=1, doc="size of each head for query and key"),
        P("value_dim", "int", None, min=1, doc="size of each head for value (default key_dim)"),
        P("dropout", "float", 0.0, min=0.0, max=1.0, max_open=True),
    ), "Multi-head self-attention over a sequence.", _mha, _mha_count, category="attention"),
    _spec("TransformerEncoder", (
        P("num_heads", "int", min=1, shape=True, doc="number of attention heads"),
        P("ff_dim", "int", min=1, doc="width of the feed-forward sublayer"),
        P("dropout", "float", 0.1, min=0.0, max=1.0, max_open=True, doc="dropout rate"),
        P("activation", "activation", "relu", doc="feed-forward activation"),
    ), "Transformer encoder block: self-attention and feed-forward, each with residual and "
       "layer normalization (post-norm, as PyTorch's TransformerEncoderLayer).",
        _transformer, _transformer_count, aliases=("Transformer",), category="attention"),
    _spec("ResidualConnection", (), "Adds the input to the output of its block: x + block(x).",
          _residual, block="required", aliases=("Residual",), category="structure"),
    _spec("Add", (), "Adds several tensors of the same shape.", _merge_only("Add"),
          category="merge"),
    _spec("Concatenate", (P("axis", "int", -1, doc="the axis to join along"),),
          "Joins several tensors along an axis.", _merge_only("Concatenate"), category="merge"),
]

LAYERS: dict[str, LayerSpec] = {}
for _s in _SPECS:
    LAYERS[_s.name.lower()] = _s
    for _a in _s.aliases:
        LAYERS[_a.lower()] = _s

# Layers written as code: never evaluated (untrusted files are data).
CODE_LAYERS = {"lambda"}


def lookup(name: str) -> LayerSpec | None:
    """Layer names match case-insensitively (`dense(64)` is `Dense(64)`)."""
    return LAYERS.get(name.lower())


def canonical_names() -> list[str]:
    return [s.name for s in _SPECS]
