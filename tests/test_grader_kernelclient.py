"""The kernel client's sliced waits: a wake-up ZeroMQ misses costs half a second, not the cell limit."""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from queue import Empty

import nbformat
import pytest
from jupyter_client.channels import AsyncZMQSocketChannel
from nbclient import NotebookClient

from autograder import kernelclient
from autograder.execute import SandboxKernelManager
from autograder.kernelclient import SlicedChannel, SlicedKernelClient, SlicedKernelManager


class MissedWakeups:
    """Stands in for the socket's poll: silent for the first ``missed`` waits, then the message."""

    def __init__(self, missed):
        self.missed, self.waits = missed, []

    async def get_msg(self, channel, timeout=None):
        self.waits.append(timeout)
        if len(self.waits) <= self.missed:
            raise Empty
        return {"msg_type": "execute_reply"}


@pytest.fixture
def fake_poll(monkeypatch):
    def install(missed):
        fake = MissedWakeups(missed)
        monkeypatch.setattr(AsyncZMQSocketChannel, "get_msg", lambda self, timeout=None: fake.get_msg(self, timeout))
        monkeypatch.setattr(kernelclient, "SLICE", 0.01)
        return fake
    return install


def channel():
    return SlicedChannel.__new__(SlicedChannel)   # no socket needed: the poll is faked


def run(coroutine):
    """asyncio.run in a thread of its own: earlier tests in this process (the browser suite's
    Playwright) may leave an event loop running in the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_a_message_after_missed_wakeups_is_still_received(fake_poll):
    """A long wait (None, or a cell limit) is polled in slices, so a message a slice missed is read by the next?"""
    fake = fake_poll(missed=3)
    assert run(channel().get_msg(timeout=None)) == {"msg_type": "execute_reply"}
    assert fake.waits == [0.01] * 4
    fake = fake_poll(missed=3)
    assert run(channel().get_msg(timeout=900)) == {"msg_type": "execute_reply"}
    assert len(fake.waits) == 4 and all(w <= 0.01 for w in fake.waits)


def test_a_timeout_still_raises_empty_at_its_deadline(fake_poll):
    """With no message at all, does get_msg(timeout) still raise Empty, after about that long?"""
    fake_poll(missed=10**6)
    start = time.monotonic()
    with pytest.raises(Empty):
        run(channel().get_msg(timeout=0.05))
    assert 0.05 <= time.monotonic() - start < 1.0


def test_a_notebook_client_really_gets_sliced_channels():
    """Does an nbclient NotebookClient given SlicedKernelManager talk to its kernel through SlicedChannels?"""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    client = NotebookClient(nb, kernel_manager_class=SlicedKernelManager, kernel_name="python3", timeout=60)
    with client.setup_kernel():
        kinds = {name: type(getattr(client.kc, name)) for name in ("shell_channel", "iopub_channel", "control_channel")}
        client.execute_cell(nb.cells[0], 0)
    assert kinds == dict.fromkeys(kinds, SlicedChannel)
    assert nb.cells[0].outputs[0]["text"] == "42\n"


def test_the_grader_and_nbgrader_use_the_sliced_client():
    """Do the sandboxed grader's kernels, and nbgrader's own Execute, get clients with sliced waits?"""
    assert SandboxKernelManager.client_class.default_value == "autograder.kernelclient.SlicedKernelClient"
    assert SandboxKernelManager().client_factory is SlicedKernelClient
    for name in ("shell_channel_class", "iopub_channel_class", "control_channel_class", "stdin_channel_class"):
        assert getattr(SlicedKernelClient, name).default_value is SlicedChannel
    from traitlets.config import Config, PyFileConfigLoader
    from autograder.lessons import ROOT
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT / "autograder")).load_config()
    assert isinstance(config, Config)
    assert config.Execute.kernel_manager_class == "autograder.kernelclient.SlicedKernelManager"
