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
