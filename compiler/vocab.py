"""Everything outside layers that a program may name: losses, optimizers, schedules,
metrics, train and execute keys, devices, search methods. Tables, not code."""

from __future__ import annotations

import re

from compiler.datasets import DATASET_NAMES
from compiler.layers import P, Param

# canonical loss name -> aliases (matched case-insensitively)
LOSSES: dict[str, tuple[str, ...]] = {
    "categorical_crossentropy": ("categoricalcrossentropy",),
    "sparse_categorical_crossentropy": ("sparsecategoricalcrossentropy", "cross_entropy",
                                        "crossentropy", "ce"),
    "binary_crossentropy": ("binarycrossentropy", "bce"),
    "mse": ("mean_squared_error", "meansquarederror"),
    "mae": ("mean_absolute_error", "meanabsoluteerror", "l1"),
    "huber": ("huber_loss",),
    "hinge": (),
    "squared_hinge": (),
    "kl_divergence": ("kld", "kullback_leibler_divergence", "kldivergence"),
    "poisson": (),
    "log_cosh": ("logcosh",),
}
LOSS_ALIASES = {a: name for name, aliases in LOSSES.items() for a in (name, *aliases)}
CLASSIFICATION_LOSSES = {"categorical_crossentropy", "sparse_categorical_crossentropy",
                         "binary_crossentropy", "hinge", "squared_hinge"}
LOSS_PARAMS = {
    "from_logits": P("from_logits", "bool", False),
    "label_smoothing": P("label_smoothing", "float", 0.0, min=0.0, max=1.0),
    "delta": P("delta", "float", 1.0, min=0.0, min_open=True),
}

_LR = P("learning_rate", "float", 0.001, min=0.0, min_open=True, doc="step size")
_WD = P("weight_decay", "float", None, min=0.0, doc="decoupled weight decay")
_CLIP = (P("clipnorm", "float", None, min=0.0, min_open=True),
         P("clipvalue", "float", None, min=0.0, min_open=True))
_EPS = P("epsilon", "float", 1e-7, min=0.0, min_open=True)
_BETAS = (P("beta_1", "float", 0.9, min=0.0, max=1.0, max_open=True),
          P("beta_2", "float", 0.999, min=0.0, max=1.0, max_open=True))

# canonical optimizer name -> parameters in positional order
OPTIMIZERS: dict[str, tuple[Param, ...]] = {
    "Adam": (_LR, *_BETAS, _EPS, P("amsgrad", "bool", False), _WD, *_CLIP),
    "AdamW": (P("learning_rate", "float", 0.001, min=0.0, min_open=True), P("weight_decay", "float", 0.004, min=0.0),
              *_BETAS, _EPS, P("amsgrad", "bool", False), *_CLIP),
    "SGD": (P("learning_rate", "float", 0.01, min=0.0, min_open=True),
            P("momentum", "float", 0.0, min=0.0, max=1.0),
            P("nesterov", "bool", False), _WD, *_CLIP),
    "RMSprop": (_LR, P("rho", "float", 0.9, min=0.0, max=1.0),
                P("momentum", "float", 0.0, min=0.0, max=1.0), _EPS,
                P("centered", "bool", False), _WD, *_CLIP),
    "Adagrad": (_LR, P("initial_accumulator_value", "float", 0.1, min=0.0), _EPS, _WD, *_CLIP),
    "Adadelta": (P("learning_rate", "float", 1.0, min=0.0, min_open=True),
                 P("rho", "float", 0.95, min=0.0, max=1.0), _EPS, _WD, *_CLIP),
    "Adamax": (_LR, *_BETAS, _EPS, _WD, *_CLIP),
    "Nadam": (_LR, *_BETAS, _EPS, _WD, *_CLIP),
}
OPTIMIZER_NAMES = {n.lower(): n for n in OPTIMIZERS}

# learning-rate schedules: canonical name -> parameters in positional order
SCHEDULES: dict[str, tuple[Param, ...]] = {
    "ExponentialDecay": (
        P("initial_learning_rate", "float", min=0.0, min_open=True),
        P("decay_steps", "int", min=1),
        P("decay_rate", "float", min=0.0, min_open=True),
        P("staircase", "bool", False),
    ),
    "InverseTimeDecay": (
        P("initial_learning_rate", "float", min=0.0, min_open=True),
        P("decay_steps", "int", min=1),
        P("decay_rate", "float", min=0.0),
        P("staircase", "bool", False),
    ),
    "CosineDecay": (
        P("initial_learning_rate", "float", min=0.0, min_open=True),
        P("decay_steps", "int", min=1),
        P("alpha", "float", 0.0, min=0.0, max=1.0),
    ),
    "PolynomialDecay": (
        P("initial_learning_rate", "float", min=0.0, min_open=True),
        P("decay_steps", "int", min=1),
        P("end_learning_rate", "float", 0.0001, min=0.0),
        P("power", "float", 1.0, min=0.0, min_open=True),
    ),
    "StepDecay": (
        P("initial_learning_rate", "float", min=0.0, min_open=True),
        P("step_size", "int", min=1),
        P("gamma", "float", 0.1, min=0.0, min_open=True),
    ),
}
SCHEDULE_NAMES = {n.lower(): n for n in SCHEDULES}

METRICS: dict[str, tuple[str, ...]] = {
    "accuracy": ("acc",),
    "precision": (),
    "recall": (),
    "auc": (),
    "mae": ("mean_absolute_error",),
    "mse": ("mean_squared_error",),
    "top_k_categorical_accuracy": ("top_k",),
    "f1_score": ("f1",),
}
METRIC_ALIASES = {a: name for name, aliases in METRICS.items() for a in (name, *aliases)}

SEARCH_METHODS = ("random", "grid", "bayesian", "tpe", "evolutionary", "pbt")
PRUNERS = ("median", "hyperband", "successive_halving", "none")
# Computed on the validation split when a search (or `neural run --metric`) asks for them;
# each is recorded as val_<name>, and <name> alone means the same.
VALIDATION_METRICS = ("f1", "precision", "recall", "auc", "mae", "mse", "r2")
TARGET_METRICS = ("val_loss", "val_accuracy", "loss", "accuracy", *VALIDATION_METRICS,
                  *(f"val_{m}" for m in VALIDATION_METRICS))

TRAIN_KEYS: dict[str, Param] = {p.name: p for p in (
    P("epochs", "int", 10, min=1, doc="passes over the training data"),
    P("batch_size", "int", 32, min=1, doc="samples per gradient step"),
    P("validation_split", "float", 0.2, min=0.0, max=1.0, max_open=True,
      doc="fraction of the data held out for validation"),
    P("search_method", "enum", "tpe", choices=SEARCH_METHODS, doc="how HPO searches"),
    P("early_stopping", "bool", False, doc="stop when the validation loss stops improving"),
    P("patience", "int", 5, min=0, doc="epochs without improvement before stopping"),
    P("min_delta", "float", 0.0, min=0.0, doc="smallest change that counts as improvement"),
    P("seed", "int", 42, min=0, doc="random seed"),
    P("shuffle", "bool", True, doc="shuffle the training data each epoch"),
    P("trials", "int", 20, min=1, doc="number of HPO trials"),
    P("timeout", "float", None, min=0.0, min_open=True, doc="HPO time limit in seconds"),
    P("metric", "enum", "val_loss", choices=TARGET_METRICS, doc="what HPO optimizes"),
    P("direction", "enum", None, choices=("minimize", "maximize"), doc="optimize up or down"),
    P("pruner", "enum", "median", choices=PRUNERS, doc="how HPO stops weak trials early"),
    P("parallel", "int", 1, min=1, doc="HPO worker processes"),
    P("population", "int", 4, min=2, doc="population size for pbt"),
    P("dataset", "enum", None, choices=DATASET_NAMES,
      doc="what `neural run` and the search train on (default: the first dataset that fits)"),
)}
# Settings HPO cannot choose (N410): they say how the search itself runs.
NOT_SEARCHABLE = frozenset({"search_method", "device", "parallel", "trials", "dataset"})

TRAIN_ALIASES = {"n_trials": "trials", "val_split": "validation_split", "lr": None}

EXECUTE_KEYS: dict[str, Param] = {
    "device": P("device", "str", "auto", doc="auto, cpu, cuda, cuda:N, mps or tpu"),
}

DEVICE_RE = re.compile(r"^(auto|cpu|cuda(:\d+)?|mps|tpu(:\d+)?)$")
DEVICES_TEXT = "auto, cpu, cuda, cuda:N, mps, tpu"
