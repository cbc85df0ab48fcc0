"""Datasets: every named set, user files, bad files, shape mismatches, the MNIST message."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from runner.data import DataError, available_datasets, fit_to_input, load_dataset
from runner.data import idx as idx_mod


def write_idx(path: Path, array: np.ndarray) -> None:
    """The IDX format: 0, 0, dtype code 0x08 (uint8), ndim, then big-endian dims and the bytes."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def write_idx_set(folder: Path, n: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / "train-images-idx3-ubyte.gz", images)
    write_idx(folder / "train-labels-idx1-ubyte.gz", labels)
    return images, labels


@pytest.fixture
def no_system_data(monkeypatch, tmp_path):
    """Hide Fashion-MNIST from every place it is normally found, and Keras' MNIST cache."""
    monkeypatch.setattr(idx_mod, "FASHION_SYSTEM_DIRS", (tmp_path / "nowhere",))
    monkeypatch.setattr(idx_mod, "_dpkg_dirs", lambda: [])
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv("NEURAL_DATA_DIR", raising=False)


# --- named sets -------------------------------------------------------------------------------

def test_digits_is_8x8x1_images_in_unit_range():
    ds = load_dataset("digits")
    assert ds.x.shape == (1797, 8, 8, 1) and ds.input_shape == (8, 8, 1)
    assert ds.x.dtype == np.float32 and ds.x.min() == 0.0 and ds.x.max() == 1.0
    assert ds.y.dtype == np.int64 and set(np.unique(ds.y)) == set(range(10))
    assert (ds.num_classes, ds.task, ds.name) == (10, "classification", "digits")


@pytest.mark.parametrize(
    ("name", "shape", "classes"),
    [("iris", (150, 4), 3), ("wine", (178, 13), 3), ("breast_cancer", (569, 30), 2)],
)
def test_tabular_sets_are_standardised(name, shape, classes):
    ds = load_dataset(name)
    assert ds.x.shape == shape and ds.num_classes == classes and ds.task == "classification"
    np.testing.assert_allclose(ds.x.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(ds.x.std(axis=0), 1.0, atol=1e-4)
    assert ds.class_names is not None and len(ds.class_names) == classes


BUNDLED = ("digits", "iris", "wine", "breast_cancer")


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_sets_read_directly_equal_scikit_learns_loaders(name, monkeypatch):
    from runner.data import bundled

    fast = load_dataset(name)
    monkeypatch.setattr(bundled, "_data_file", lambda _name: None)  # scikit-learn's own loader
    ref = load_dataset(name)
    assert fast.x.dtype == ref.x.dtype and np.array_equal(fast.x, ref.x)
    assert fast.y.dtype == ref.y.dtype and np.array_equal(fast.y, ref.y)
    assert (fast.num_classes, fast.class_names) == (ref.num_classes, ref.class_names)


def test_a_bundled_set_loads_without_importing_scikit_learn():
    """Its import (pandas, scipy.stats) was about a second of every small run's start-up."""
    import subprocess
    import sys

    code = ("import sys; from runner.data import load_dataset\n"
            "for n in ('digits', 'iris', 'wine', 'breast_cancer'): load_dataset(n)\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'pandas', 'scipy'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("damage", [b"", b"150,4,a,b,c\n5.1,3.5\n", b"not,a,header\n"])
def test_a_bundled_file_not_in_the_expected_form_falls_back_to_scikit_learn(damage, monkeypatch, tmp_path):
    from runner.data import bundled

    bad = tmp_path / "iris.csv"
    bad.write_bytes(damage)
    monkeypatch.setattr(bundled, "_data_file", lambda _name: bad)
    got = load_dataset("iris")
    assert got.x.shape == (150, 4) and got.class_names == ("setosa", "versicolor", "virginica")


def test_names_are_forgiving_about_case_and_dashes():
    assert load_dataset("Breast-Cancer").name == "breast_cancer"
    assert load_dataset("IRIS").name == "iris"


def test_fashion_mnist_from_the_debian_package():
    """Needs `apt-get install dataset-fashion-mnist` (.ci/run installs it); the error says so."""
    ds = load_dataset("fashion_mnist")
    assert ds.x.shape == (60000, 28, 28, 1) and ds.x.dtype == np.float32
    assert 0.0 <= ds.x.min() and ds.x.max() == 1.0
    assert np.bincount(ds.y).tolist() == [6000] * 10  # the real training set is balanced


def test_fashion_mnist_missing_names_the_apt_package(no_system_data):
    with pytest.raises(DataError, match=r"apt-get install dataset-fashion-mnist"):
        load_dataset("fashion_mnist")


def test_fashion_mnist_from_neural_data_dir(no_system_data, monkeypatch, tmp_path):
    images, labels = write_idx_set(tmp_path / "data" / "fashion-mnist")
    monkeypatch.setenv("NEURAL_DATA_DIR", str(tmp_path / "data"))
    ds = load_dataset("Fashion-MNIST")
    assert ds.x.shape == (30, 28, 28, 1)
    np.testing.assert_array_equal(ds.y, labels)
    np.testing.assert_allclose(ds.x[..., 0], images / 255.0, rtol=1e-6)


def test_neural_data_dir_wins_over_the_system_package(monkeypatch, tmp_path):
    write_idx_set(tmp_path, n=20)
    monkeypatch.setenv("NEURAL_DATA_DIR", str(tmp_path))
    assert len(load_dataset("fashion_mnist")) == 20


@pytest.mark.parametrize("name", ["mnist", "MNIST"])
def test_mnist_says_it_is_not_available_offline(no_system_data, name):
    with pytest.raises(DataError) as err:
        load_dataset(name)
    message = str(err.value)
    assert "MNIST is not available offline" in message
    for offline in ("digits", "fashion_mnist", "iris", "synthetic_classification"):
        assert offline in message
    assert "NEURAL_DATA_DIR" in message


def test_mnist_loads_from_the_users_idx_files(no_system_data, monkeypatch, tmp_path):
    _, labels = write_idx_set(tmp_path / "mnist", n=40)
    monkeypatch.setenv("NEURAL_DATA_DIR", str(tmp_path))
    ds = load_dataset("MNIST")
    assert ds.name == "mnist" and ds.x.shape == (40, 28, 28, 1)
    np.testing.assert_array_equal(ds.y, labels)


def test_mnist_loads_from_a_keras_cache_file(no_system_data, monkeypatch, tmp_path):
    cache = tmp_path / "keras_home" / "datasets"
    cache.mkdir(parents=True)
    x = np.full((12, 28, 28), 255, dtype=np.uint8)
    np.savez(cache / "mnist.npz", x_train=x, y_train=np.arange(12) % 10, x_test=x[:2], y_test=np.zeros(2))
    ds = load_dataset("mnist")
    assert ds.x.shape == (12, 28, 28, 1) and ds.x.max() == 1.0 and ds.num_classes == 10


@pytest.mark.parametrize("damage", ["magic", "truncated"])
def test_corrupt_idx_file_is_a_clear_error(no_system_data, monkeypatch, tmp_path, damage):
    write_idx_set(tmp_path, n=5)
    target = tmp_path / "train-images-idx3-ubyte.gz"
    raw = gzip.decompress(target.read_bytes())
    raw = b"\x12\x34" + raw[2:] if damage == "magic" else raw[:-100]
    target.write_bytes(gzip.compress(raw))
    monkeypatch.setenv("NEURAL_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz"):
        load_dataset("fashion_mnist")


def test_unknown_name_lists_what_is_available():
    with pytest.raises(DataError) as err:
        load_dataset("cifar10")
    assert "cifar10" in str(err.value)
    for name in available_datasets():
        assert name in str(err.value)


def test_num_samples_takes_a_seeded_subset():
    a = load_dataset("digits", num_samples=100, seed=3)
    b = load_dataset("digits", num_samples=100, seed=3)
    c = load_dataset("digits", num_samples=100, seed=4)
    assert len(a) == 100
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)


def test_a_builtin_set_refuses_another_task():
    with pytest.raises(DataError, match="classification set"):
        load_dataset("iris", task="regression")


# --- synthetic --------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(7,), (5, 6), (9, 9, 3), (2, 3, 4, 2)])
def test_synthetic_classification_takes_any_shape(shape):
    ds = load_dataset("synthetic_classification", input_shape=shape, num_classes=4, num_samples=200)
    assert ds.x.shape == (200, *shape) and ds.num_classes == 4
    assert np.bincount(ds.y).tolist() == [50] * 4


def test_synthetic_sets_are_seeded():
    for name in ("synthetic_classification", "synthetic_regression", "synthetic_sequence"):
        a, b = load_dataset(name, seed=1), load_dataset(name, seed=1)
        c = load_dataset(name, seed=2)
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)
        assert not np.array_equal(a.x, c.x), name


def test_synthetic_classification_is_learnable():
    """Nearest class mean on the first half classifies the second half far above chance."""
    ds = load_dataset("synthetic_classification", input_shape=(30,), num_classes=3, num_samples=600)
    x, y = ds.x, ds.y
    means = np.stack([x[:300][y[:300] == c].mean(axis=0) for c in range(3)])
    pred = np.argmin(((x[300:, None, :] - means) ** 2).sum(axis=-1), axis=1)
    assert (pred == y[300:]).mean() > 0.8


def test_synthetic_regression_targets_are_2d_and_follow_x():
    ds = load_dataset("synthetic_regression", input_shape=(4, 4), output_dim=2, num_samples=500)
    assert ds.task == "regression" and ds.num_classes is None
    assert ds.y.shape == (500, 2) and ds.y.dtype == np.float32
    flat = ds.x.reshape(500, -1)
    coef, *_ = np.linalg.lstsq(flat, ds.y, rcond=None)
    residual = ds.y - flat @ coef
    assert residual.var() < 0.5 * ds.y.var()  # mostly linear, so a linear fit explains most of it


def test_synthetic_sequence_tokens_and_waves():
    tokens = load_dataset("synthetic_sequence", input_shape=(15,), num_classes=3, vocab_size=40)
    assert tokens.x.shape == (1000, 15)
    assert tokens.x.min() >= 0 and tokens.x.max() < 40 and (tokens.x == tokens.x.round()).all()
    planted = tokens.x == (tokens.y + 1)[:, None]
    assert planted.mean() > 0.2  # each class marks its sequences with its own token
    waves = load_dataset("synthetic_sequence", input_shape=(None, 3))
    assert waves.x.shape == (1000, 16, 3)


def test_synthetic_rejects_nonsense():
    with pytest.raises(DataError, match="at least 2 classes"):
        load_dataset("synthetic_classification", num_classes=1)
    with pytest.raises(DataError, match="num_samples"):
        load_dataset("synthetic", num_samples=0)
    with pytest.raises(DataError, match="cannot generate"):
        load_dataset("synthetic", input_shape=(0, 3))


# --- shapes -----------------------------------------------------------------------------------

def test_shape_mismatch_names_both_shapes():
    with pytest.raises(DataError) as err:
        load_dataset("digits", input_shape=(28, 28, 1))
    assert "(8, 8, 1)" in str(err.value) and "(28, 28, 1)" in str(err.value)
    assert "reshape" not in str(err.value)


def test_matching_element_count_offers_a_reshape():
    with pytest.raises(DataError) as err:
        load_dataset("digits", input_shape=(64,))
    assert "(8, 8, 1)" in str(err.value) and "(64,)" in str(err.value) and "reshape" in str(err.value)
    ds = load_dataset("digits", input_shape=(64,), reshape=True)
    assert ds.x.shape == (1797, 64) and ds.input_shape == (64,)
    back = fit_to_input(ds, (8, 8, 1), reshape=True)
    np.testing.assert_array_equal(back.x, load_dataset("digits").x)


def test_none_axis_accepts_any_length():
    ds = load_dataset("synthetic_sequence", input_shape=(12, 4))
    assert fit_to_input(ds, (None, 4)) is ds
    with pytest.raises(DataError, match=r"\(None, 5\)"):
        fit_to_input(ds, (None, 5))


# --- user files -------------------------------------------------------------------------------

@pytest.mark.parametrize(("xk", "yk"), [("x", "y"), ("X", "Y"), ("features", "labels"), ("x_train", "y_train")])
def test_npz_key_pairs(tmp_path, xk, yk):
    x = np.arange(60, dtype=np.float64).reshape(10, 6)
    np.savez(tmp_path / "d.npz", **{xk: x, yk: np.arange(10) % 3})
    ds = load_dataset(str(tmp_path / "d.npz"))
    assert ds.name == "d.npz" and ds.x.shape == (10, 6) and ds.num_classes == 3
    np.testing.assert_array_equal(ds.x, x.astype(np.float32))


def test_npz_label_kinds(tmp_path):
    x = np.zeros((4, 2))
    np.savez(tmp_path / "onehot.npz", x=x, y=np.eye(3)[[0, 2, 1, 2]].astype(np.float32))
    assert load_dataset(tmp_path / "onehot.npz").y.tolist() == [0, 2, 1, 2]
    np.savez(tmp_path / "strings.npz", x=x, y=np.array(["cat", "dog", "cat", "eel"]))
    ds = load_dataset(tmp_path / "strings.npz")
    assert ds.y.tolist() == [0, 1, 0, 2] and ds.class_names == ("cat", "dog", "eel")
    np.savez(tmp_path / "reg.npz", x=x, y=np.array([0.5, 1.5, 2.0, 3.25]))
    ds = load_dataset(tmp_path / "reg.npz")
    assert ds.task == "regression" and ds.y.shape == (4, 1)
    np.savez(tmp_path / "floatclasses.npz", x=x, y=np.array([0.0, 1.0, 1.0, 0.0]))
    assert load_dataset(tmp_path / "floatclasses.npz", task="classification").num_classes == 2
    with pytest.raises(DataError, match="not whole numbers"):
        load_dataset(tmp_path / "reg.npz", task="classification")


def test_npz_errors_say_what_is_wrong(tmp_path):
    np.savez(tmp_path / "keys.npz", inputs=np.zeros((3, 2)), targets=np.zeros(3))
    with pytest.raises(DataError, match=r"holds arrays \['inputs', 'targets'\].*x/y"):
        load_dataset(tmp_path / "keys.npz")
    np.savez(tmp_path / "len.npz", x=np.zeros((3, 2)), y=np.zeros(4, dtype=int))
    with pytest.raises(DataError, match="3 samples but 4 labels"):
        load_dataset(tmp_path / "len.npz")
    np.savez(tmp_path / "obj.npz", x=np.array([{"a": 1}, None], dtype=object), y=np.zeros(2))
    with pytest.raises(DataError, match="pickle"):
        load_dataset(tmp_path / "obj.npz")
    (tmp_path / "junk.npz").write_bytes(b"this is not a zip file")
    with pytest.raises(DataError, match="not a readable .npz"):
        load_dataset(tmp_path / "junk.npz")
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(str(tmp_path / "missing.npz"))
    (tmp_path / "data.txt").write_text("1,2\n")
    with pytest.raises(DataError, match="unsupported data file type '.txt'"):
        load_dataset(tmp_path / "data.txt")


def test_csv_label_column_by_name_default_and_last(tmp_path):
    (tmp_path / "named.csv").write_text("a,label,b\n1,0,2\n3,1,4\n5,2,6\n")
    ds = load_dataset(tmp_path / "named.csv")
    assert ds.x.tolist() == [[1, 2], [3, 4], [5, 6]] and ds.y.tolist() == [0, 1, 2]
    ds = load_dataset(tmp_path / "named.csv", label="b")
    assert ds.x.tolist() == [[1, 0], [3, 1], [5, 2]] and ds.y.tolist() == [2, 4, 6]
    (tmp_path / "last.csv").write_text("f1,f2,species\n1.5,2,setosa\n3,4,virginica\n0,1,setosa\n")
    ds = load_dataset(tmp_path / "last.csv")
    assert ds.y.tolist() == [0, 1, 0] and ds.class_names == ("setosa", "virginica")
    (tmp_path / "noheader.csv").write_text("1,2,0.5\n3,4,1.25\n")
    ds = load_dataset(tmp_path / "noheader.csv")
    assert ds.task == "regression" and ds.y.ravel().tolist() == [0.5, 1.25]


def test_csv_errors_name_line_and_column(tmp_path):
    cases = {
        "missing.csv": ("a,b,label\n1,2,0\n3,,1\n", r"line 3: missing value in column 'b'"),
        "text.csv": ("a,b,label\n1,2,0\n3,x,1\n", r"line 3: column 'b' holds 'x', not a number"),
        "ragged.csv": ("a,b,label\n1,2,0\n3,1\n", r"line 3: 2 cells but the header has 3"),
        "nolabel.csv": ("a,b,label\n1,2,\n", r"line 2: missing label"),
        "empty.csv": ("\n\n", r"is empty"),
        "headeronly.csv": ("a,b,label\n", r"no data rows"),
        "onecol.csv": ("label\n1\n", r"at least one feature column"),
    }
    for name, (text, pattern) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(DataError, match=pattern):
            load_dataset(tmp_path / name)
    with pytest.raises(DataError, match=r"no column 'target'; columns: a, b, label"):
        load_dataset(tmp_path / "text.csv", label="target")
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00\x01garbage")
    with pytest.raises(DataError, match="not a readable CSV"):
        load_dataset(tmp_path / "binary.csv")


def test_file_shape_is_checked_against_the_network(tmp_path):
    np.savez(tmp_path / "flat.npz", x=np.zeros((5, 64)), y=np.arange(5))
    with pytest.raises(DataError, match=r"\(64,\).*\(8, 8, 1\).*reshape"):
        load_dataset(tmp_path / "flat.npz", input_shape=(8, 8, 1))
    assert load_dataset(tmp_path / "flat.npz", input_shape=(8, 8, 1), reshape=True).x.shape == (5, 8, 8, 1)
