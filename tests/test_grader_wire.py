"""The wire between the checker and the kernel, both ends in one process (a socket pair, a thread)."""

import socket
import threading

import numpy as np
import pytest

from autograder.wire import Peer, _errstate


def naive_sigmoid(z):
    """A student's sigmoid that overflows for large negative z (no np.errstate of its own)."""
    return 1.0 / (1.0 + np.exp(-z))


def countdown(n):
    """A generator that overflows in its second item."""
    yield np.exp(np.float64(1.0))
    yield np.exp(np.float64(n))


@pytest.fixture
def kernel_function():
    """A proxy, at the checker's end, of a function that runs at the kernel's end."""
    checker_sock, kernel_sock = socket.socketpair()
    kernel = Peer(kernel_sock, namespace={"naive_sigmoid": naive_sigmoid, "countdown": countdown})
    thread = threading.Thread(target=kernel.serve, daemon=True)
    thread.start()
    checker = Peer(checker_sock)
    yield lambda name: checker.request("names", names=[name])[name]
    checker.done()
    thread.join(5)
    checker_sock.close()
    kernel_sock.close()


def test_the_callers_errstate_reaches_the_kernel(kernel_function):
    """Does ``with np.errstate(over="raise")`` around a call at the checker's end make an overflow in the
    kernel's function raise (a test cell's check that a sigmoid is stable), and the default not?"""
    sigmoid = kernel_function("naive_sigmoid")
    z = np.array([-1000.0, 0.0])
    with np.errstate(over="raise"):
        with pytest.raises(FloatingPointError, match="overflow"):
            sigmoid(z)
    with np.errstate(over="ignore"):
        assert np.array_equal(sigmoid(z), [0.0, 0.5])


def test_a_generator_runs_under_the_callers_errstate(kernel_function):
    """Is a generator, run out at the kernel's end, run under the caller's errstate too?"""
    items = kernel_function("countdown")
    with np.errstate(over="raise"):
        with pytest.raises(FloatingPointError, match="overflow"):
            list(items(1000.0))


def test_only_known_errstate_entries_are_applied():
    """Are unknown kinds, unknown modes ("call" needs a handler) and a non-dict dropped?"""
    assert _errstate({"over": "raise", "under": "call", "bogus": "raise", "divide": 3}) == {"over": "raise"}
    assert _errstate("raise") == {} and _errstate(None) == {}


def transposed(W):
    """A student's kernel conversion that returns np.transpose's view (not C-contiguous)."""
    return np.transpose(W, (2, 3, 1, 0))


def fold_in_place(weights):
    """A student's conversion that changes the array it was given inside a list, in place."""
    bias = weights[2]
    bias[0] += bias[1]
    return bias[0]


@pytest.fixture
def kernel_of():
    """Like ``kernel_function``, for the layout and write-back functions above."""
    checker_sock, kernel_sock = socket.socketpair()
    kernel = Peer(kernel_sock, namespace={"transposed": transposed, "fold_in_place": fold_in_place})
    thread = threading.Thread(target=kernel.serve, daemon=True)
    thread.start()
    checker = Peer(checker_sock)
    yield lambda name: checker.request("names", names=[name])[name]
    checker.done()
    thread.join(5)
    checker_sock.close()
    kernel_sock.close()


def test_a_transposed_view_arrives_with_its_layout(kernel_of):
    """Does a transposed view come back with the same values and strides order (not C-contiguous), and a
    C-contiguous array C-contiguous?"""
    W = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    got = kernel_of("transposed")(W)
    assert np.array_equal(got, np.transpose(W, (2, 3, 1, 0))) and not got.flags.c_contiguous
    assert got.strides == np.transpose(W, (2, 3, 1, 0)).strides
    assert kernel_of("transposed")(np.ones((1, 1, 1, 1))).flags.c_contiguous


def test_an_array_changed_inside_a_list_is_changed_in_the_callers_array(kernel_of):
    """Does an in-place change to an array inside a list argument reach the caller's own array object
    (what a check that the inputs are unchanged holds), not only a new list item?"""
    weights = [np.zeros(2), np.zeros(2), np.array([[1.0, 2.0], [10.0, 20.0]])]
    bias = weights[2]
    kernel_of("fold_in_place")(weights)
    assert weights[2] is bias and np.array_equal(bias, [[11.0, 22.0], [10.0, 20.0]])
    as_tuple = (np.zeros(2), np.zeros(2), np.array([[1.0, 2.0], [10.0, 20.0]]))
    kernel_of("fold_in_place")(as_tuple)
    assert np.array_equal(as_tuple[2], [[11.0, 22.0], [10.0, 20.0]])
