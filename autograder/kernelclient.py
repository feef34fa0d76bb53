"""A kernel client whose waits for a message never sleep longer than half a second at a time.

``jupyter_client`` waits for a kernel's messages with ``zmq.asyncio``'s ``socket.poll(timeout)``, and
nbclient (so nbgrader's ``Execute``) waits for a cell's reply with the *whole* cell time limit. A ZeroMQ
socket signals new messages through an edge-triggered file descriptor, and a wake-up can be missed
(pyzmq issues #1203 and #2173): the message is there, but the poll sleeps until its timeout. On a
loaded machine this was seen here: the kernel idle after finishing a cell, the client still waiting,
until the cell limit declared a cell that had finished in seconds "timed out" (lesson 09's self-test
hung in 2 of 4 runs, in and out of the sandbox). Each new ``poll`` checks the socket's pending events
first, so polling in short slices turns a missed wake-up into a delay of at most ``SLICE`` seconds.
"""

from __future__ import annotations

import time
from queue import Empty

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, Type

SLICE = 0.5   # seconds: the longest single wait for a message


class SlicedChannel(AsyncZMQSocketChannel):
    """``get_msg(timeout)`` as before (None waits for ever), polled ``SLICE`` seconds at a time."""

    async def get_msg(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = SLICE if deadline is None else max(0.0, min(SLICE, deadline - time.monotonic()))
            try:
                return await super().get_msg(timeout=step)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise


class SlicedKernelClient(AsyncKernelClient):
    """An AsyncKernelClient whose shell, iopub, stdin and control channels are :class:`SlicedChannel`."""

    shell_channel_class = Type(SlicedChannel)
    iopub_channel_class = Type(SlicedChannel)
    stdin_channel_class = Type(SlicedChannel)
    control_channel_class = Type(SlicedChannel)


class SlicedKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose clients are :class:`SlicedKernelClient` (for nbclient's
    ``kernel_manager_class``)."""

    client_class = DottedObjectName("autograder.kernelclient.SlicedKernelClient")
    # AsyncKernelManager declares client_factory again, with its own default: set both
    client_factory = Type(SlicedKernelClient)
