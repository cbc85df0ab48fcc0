"""Fashion-MNIST (and MNIST, when the user has the files) from the standard IDX files, offline.

Fashion-MNIST comes from Debian's `dataset-fashion-mnist` package, which installs the four
`*-idx?-ubyte.gz` files under /usr/share/datasets/fashion-mnist. $NEURAL_DATA_DIR, when set, is
searched first, for both sets, so a user can bring their own copy of either.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

from runner.data.dataset import CLASSIFICATION, DataError, Dataset, make_dataset

ENV_DIR = "NEURAL_DATA_DIR"
APT_PACKAGE = "dataset-fashion-mnist"
TRAIN_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
# Fixed places the Debian package (or a manual copy) puts the files; `dpkg -L` is asked after these.
FASHION_SYSTEM_DIRS: tuple[Path, ...] = (
    Path("/usr/share/datasets/fashion-mnist"),
    Path("/usr/local/share/datasets/fashion-mnist"),
)
# Sub-folders of $NEURAL_DATA_DIR tried for each set (the folder itself first).
ENV_SUBDIRS = {"fashion_mnist": ("", "fashion-mnist", "fashion_mnist"), "mnist": ("", "mnist", "MNIST")}

# IDX type byte -> numpy dtype (big-endian, as the format stores them).
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (gzip-compressed or not) into an array of its stored shape."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read IDX file {path}: {exc}") from exc
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise DataError(f"{path} is not an IDX file (truncated header)")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        raise DataError(
            f"{path} is truncated or corrupt: header says shape {shape} "
            f"({expected} bytes) but the file holds {len(data)} bytes"
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def _find_file(folder: Path, stem: str) -> Path | None:
    for name in (f"{stem}.gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def _has_train_files(folder: Path) -> bool:
    return all(_find_file(folder, stem) for stem in TRAIN_FILES)


def _env_dirs(which: str) -> list[Path]:
    root = os.environ.get(ENV_DIR)
    return [Path(root) / sub for sub in ENV_SUBDIRS[which]] if root else []


def _dpkg_dirs() -> list[Path]:
    """Folders holding the package's IDX files, as dpkg reports them (none if dpkg is absent)."""
    dpkg = shutil.which("dpkg")
    if not dpkg:
        return []
    try:
        out = subprocess.run(
            [dpkg, "-L", APT_PACKAGE], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({Path(line).parent for line in out.splitlines() if "-idx" in line})


def fashion_mnist_dirs() -> list[Path]:
    """Where Fashion-MNIST is looked for, in order."""
    return [*_env_dirs("fashion_mnist"), *FASHION_SYSTEM_DIRS]


def _load_from(folder: Path, name: str) -> Dataset:
    images = read_idx(_find_file(folder, TRAIN_FILES[0]))
    labels = read_idx(_find_file(folder, TRAIN_FILES[1]))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(
            f"{name} files in {folder} do not match: images {images.shape}, labels {labels.shape}"
        )
    x = (images.astype(np.float32) / 255.0)[..., np.newaxis]
    return make_dataset(x, labels, name=name, task=CLASSIFICATION, num_classes=10)


def load_fashion_mnist() -> Dataset:
    """The 60,000 training images of Fashion-MNIST, 28x28x1 scaled to [0, 1], 10 classes."""
    tried = fashion_mnist_dirs()
    for folder in tried:
        if _has_train_files(folder):
            return _load_from(folder, "fashion_mnist")
    for folder in _dpkg_dirs():
        if _has_train_files(folder):
            return _load_from(folder, "fashion_mnist")
        tried.append(folder)
    raise DataError(
        "dataset 'fashion_mnist' is not installed: install Debian's package with "
        f"`apt-get install {APT_PACKAGE}`, or put {TRAIN_FILES[0]}.gz and {TRAIN_FILES[1]}.gz in "
        f"a folder and set ${ENV_DIR} to it (looked in: {', '.join(map(str, tried))})"
    )


def _keras_cache() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "mnist.npz"


def _mnist_from_npz(path: Path) -> Dataset:
    """keras.datasets.mnist's cache file: uint8 x_train (60000, 28, 28) and y_train."""
    from runner.data.files import load_npz

    ds = load_npz(path, name="mnist", task=CLASSIFICATION)
    x = ds.x / 255.0 if ds.x.max(initial=0.0) > 1.0 else ds.x
    return make_dataset(
        x[..., np.newaxis] if x.ndim == 3 else x, ds.y, name="mnist", task=CLASSIFICATION, num_classes=10
    )


def load_mnist(available: str) -> Dataset:
    """MNIST only from the user's own files: it needs a download, which this tool never does.

    Looked for in $NEURAL_DATA_DIR (IDX files or mnist.npz), then in Keras' cache
    (~/.keras/datasets/mnist.npz). `available` lists the offline datasets, for the error message.
    """
    for folder in _env_dirs("mnist"):
        if _has_train_files(folder):
            return _load_from(folder, "mnist")
        if (folder / "mnist.npz").is_file():
            return _mnist_from_npz(folder / "mnist.npz")
    if _keras_cache().is_file():
        return _mnist_from_npz(_keras_cache())
    where = f" (looked in ${ENV_DIR}={os.environ[ENV_DIR]})" if os.environ.get(ENV_DIR) else ""
    raise DataError(
        "MNIST is not available offline: it needs a download, which neural never does. "
        f"Available offline: {available}; e.g. `fashion_mnist` is a drop-in 28x28x1, 10-class "
        f"replacement. To use your own MNIST copy, put {TRAIN_FILES[0]}.gz and "
        f"{TRAIN_FILES[1]}.gz (or mnist.npz) in a folder and set ${ENV_DIR} to it{where}."
    )
