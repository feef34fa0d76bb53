"""The wire between a test cell, run by the checker, and the student's functions, run in the kernel.

While a lesson is graded its test cells run in the checker (``checker.py``), a process that never runs
student code; the student's functions run in the sandboxed kernel. This module is both ends of the
socket between them (the kernel loads it from ``~/.course-grade/wire.py``: it needs only the standard
library and NumPy). Both ends are a :class:`Peer` and speak the same requests (call, get an attribute,
an item, a length, ...), nested either way: the checker calls the student's function, and the student's
function may call back a function the test passed to it.

What crosses is data, never code or pickles:

- ``None``, ``bool``, ``int``, ``float``, ``str`` as JSON; lists, tuples, dicts, slices and ranges of them;
- NumPy arrays and scalars as raw bytes with a plain dtype (numbers, bools, strings; no objects), read
  back as a base ``ndarray`` whatever subclass was sent;
- NumPy random generators as their state (the receiver gets a generator of its own);
- dtypes and NumPy's and Python's own types by name;
- Keras layers and models (``keras.Sequential``, functional models, single layers) as their configuration
  (JSON, rebuilt by Keras itself in safe mode, from Keras's own classes only) and their weights; tensors
  as arrays (a tensor again where TensorFlow is loaded). Each end keeps its copy of the other end's model
  for the connection, and every message carries the weights and ``stop_training`` of the models that
  changed since the last one, so a model passed either way stays one model (a callback that sets
  ``self.model.stop_training`` stops the other end's ``fit``);
- anything else stays where it lives and crosses as a handle: the other end gets a :class:`Proxy`
  whose calls, attributes and items are requests. A proxy claims the class of the object it stands for
  only if that class's module is already loaded on the receiving end (no import is ever done for the
  sender).

Arguments cross by value, so a call sends back the arguments it changed (an array updated in place, a
dict given a new key, a generator advanced) and the caller writes them into its own objects; a result
that *is* one of the arguments comes back as that argument. An exception crosses as its type name,
message and traceback text, and is raised again as the nearest built-in class (a ``ValueError``
subclass stays a ``ValueError``, under its own name).
"""

from __future__ import annotations

import builtins
import itertools
import json
import struct
import sys
import traceback
import types

import numpy as np

MAX_BYTES = 256 << 20      # a message larger than this is refused: no answer to a test is that big
PLAIN_KINDS = "biufcSUM m?"  # dtype kinds that cross as bytes (object and void arrays do not)
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
# a proxy never passes for a value that crosses by value: its methods would answer for the checks
NEVER_CLAIMED = (np.ndarray, np.generic, np.dtype, np.random.Generator, bool, int, float, complex, str, bytes,
                 list, tuple, dict, set, frozenset, slice, range, type, BaseException)
REMOTE_DUNDERS = {"__name__", "__qualname__", "__defaults__", "__kwdefaults__"}   # asked of the object itself
BUILTIN_TYPES = {t.__name__: t for t in (bool, int, float, complex, str, bytes, list, tuple, dict, set,
                                         frozenset, slice, range, type(None), object)}


class WireError(RuntimeError):
    """The other end broke the protocol, closed the socket, or sent something that cannot be read."""


class RemoteError(Exception):
    """Raised for an exception of the other end whose type has no built-in base but ``Exception``."""

    remote_traceback = ""


class _Done(Exception):
    pass


class _Items:
    """What a generator function returned, run to its end."""

    def __init__(self, gen):
        self.items = list(gen)


def _recv_exact(sock, size):
    buf = bytearray(size)
    view = memoryview(buf)
    got = 0
    while got < size:
        n = sock.recv_into(view[got:], size - got)
        if n == 0:
            raise WireError("the other end closed the connection")
        got += n
    return bytes(buf)


def send(sock, header, blobs=()):
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    sock.sendall(struct.pack("!II", len(head), len(blobs)) + head)
    for blob in blobs:
        sock.sendall(struct.pack("!Q", len(blob)))
        if blob:   # an empty send to a peer that has already read all it needs and left would fail
            sock.sendall(blob)


def recv(sock):
    head_size, count = struct.unpack("!II", _recv_exact(sock, 8))
    if head_size > MAX_BYTES or count > 1 << 20:
        raise WireError(f"a message of {head_size} bytes with {count} arrays was refused")
    try:
        header = json.loads(_recv_exact(sock, head_size).decode("utf-8"))
    except ValueError as exc:
        raise WireError(f"a message that is not JSON was refused ({exc})") from None
    blobs, total = [], head_size
    for _ in range(count):
        (size,) = struct.unpack("!Q", _recv_exact(sock, 8))
        total += size
        if total > MAX_BYTES:
            raise WireError(f"a message larger than {MAX_BYTES >> 20} MB was refused")
        blobs.append(_recv_exact(sock, size))
    if not isinstance(header, dict) or not isinstance(header.get("op"), str):
        raise WireError("a message without an operation was refused")
    return header, blobs


def _class_path(cls):
    return [getattr(cls, "__module__", "") or "", getattr(cls, "__qualname__", "") or ""]


def loaded_class(module, qualname):
    """The class ``module.qualname`` if that module is already loaded here, else None (never imports)."""
    obj = sys.modules.get(module) if isinstance(module, str) else None
    if obj is None or not isinstance(qualname, str):
        return None
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    if not isinstance(obj, type) or issubclass(obj, NEVER_CLAIMED):
        return None
    return obj


class Proxy:
    """An object that lives at the other end of the wire: every use of it is a request."""

    __slots__ = ("_peer", "_handle", "_cls", "_callable", "__weakref__")

    def __init__(self, peer, handle, cls, is_callable):
        object.__setattr__(self, "_peer", peer)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_cls", cls)
        object.__setattr__(self, "_callable", is_callable)

    @property
    def __class__(self):
        # isinstance() consults __class__: a proxy of a keras.Model is a keras.Model to the checks
        return loaded_class(*self._cls) or Proxy

    def _op(self, op, *args, **kwargs):
        return self._peer.request(op, self, *args, **kwargs)

    def __call__(self, *args, **kwargs):
        return self._peer.call(self, args, kwargs)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__") and name not in REMOTE_DUNDERS:
            raise AttributeError(name)
        return self._op("getattr", name)

    def __setattr__(self, name, value):
        self._op("setattr", name, value)

    def __delattr__(self, name):
        self._op("delattr", name)

    def __getitem__(self, key):
        return self._op("getitem", key)

    def __setitem__(self, key, value):
        self._op("setitem", key, value)

    def __delitem__(self, key):
        self._op("delitem", key)

    def __len__(self):
        return self._op("len")

    def __iter__(self):
        return iter(self._op("list"))

    def __contains__(self, item):
        return self._op("contains", item)

    def __bool__(self):
        return self._op("bool")

    def __float__(self):
        return self._op("float")

    def __int__(self):
        return self._op("int")

    def __index__(self):
        return self._op("index")

    def __array__(self, dtype=None, copy=None):
        value = self._op("array")
        return value if dtype is None else value.astype(dtype)

    def __repr__(self):
        return self._op("repr")

    def __str__(self):
        return self._op("str")

    def __format__(self, spec):
        return self._op("format", spec)

    def __eq__(self, other):
        # compared with data, the object answers; with anything else (a function, a class), identity
        if isinstance(other, (type(None), bool, int, float, complex, str, bytes, list, tuple, dict,
                              np.ndarray, np.generic)) and not isinstance(other, Proxy):
            return self._op("eq", other)
        return other is self

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash((id(self._peer), self._handle))

    def __dir__(self):
        return self._op("dir")

    @property
    def __signature__(self):
        # the parameters' names and kinds as data (never source text: nothing from the other end is run)
        import inspect

        params = []
        for name, kind, has_default in self._op("signature"):
            if not (isinstance(name, str) and name.isidentifier() and kind in range(5)):
                raise WireError("an unreadable signature was refused")
            default = _DEFAULT if has_default else inspect.Parameter.empty
            params.append(inspect.Parameter(name, inspect._ParameterKind(kind), default=default))
        return inspect.Signature(params)


class _Default:
    def __repr__(self):
        return "<default>"


_DEFAULT = _Default()


def _same(a, b):
    return a[0] == b[0] and len(a[1]) == len(b[1]) and all(x == y for x, y in zip(a[1], b[1]))


class Peer:
    """One end of the wire. ``namespace``: the names the other end may look up (the kernel's, at the
    kernel's end); ``safe_modules``: the modules this end may import when the other end names one."""

    def __init__(self, sock, namespace=None, safe_modules=()):
        self.sock = sock
        self.namespace = namespace if namespace is not None else {}
        self.safe_modules = set(safe_modules)
        self.local = {}          # handle -> this end's object, kept alive while the connection lasts
        self.ids = {}            # id(object) -> handle
        self.proxies = {}        # the other end's handle -> its proxy here (one per object)
        self.counter = itertools.count(1)
        self.own = {}            # token -> this end's Keras object, sent by value (the other end has a copy)
        self.copies = {}         # the other end's token -> this end's copy of its Keras object
        self.known = {}          # ("own" or "copy", token) -> the state the other end last saw

    # -- encoding -----------------------------------------------------------------------------

    def encode(self, value, args=None):
        blobs = []
        return self._enc(value, blobs, args or {}, 0), blobs

    def _array(self, arr, blobs, tag):
        arr = np.asarray(arr)
        if arr.dtype.kind not in PLAIN_KINDS or arr.dtype.fields is not None:
            return None
        node = {tag: len(blobs), "dt": arr.dtype.str, "sh": list(arr.shape)}
        order = _memory_order(arr)
        if order is not None:
            # a transposed view crosses in its memory order and is transposed back: the receiver's array
            # has the same layout (a test may check that a result is C-contiguous, as np.transpose's is not)
            arr = np.transpose(arr, order)
            node["tr"] = [int(i) for i in np.argsort(order)]
        blobs.append(np.ascontiguousarray(arr).tobytes())
        node["sh"] = list(arr.shape)
        return node

    def _enc(self, v, blobs, args, depth):
        if depth > 64:
            raise WireError("a value nested more than 64 levels deep cannot be sent")
        t = type(v)
        if v is None or t in (bool, int, str):
            return v
        if t is float:
            return v if v == v and v not in (float("inf"), float("-inf")) else {"fl": repr(v)}
        if id(v) in args and args[id(v)][1] is v:
            return {"arg": args[id(v)][0]}
        if isinstance(v, Proxy) and v._peer is self:
            return {"r": v._handle}
        if isinstance(v, np.ndarray):
            node = self._array(v, blobs, "a")
            if node is not None:
                return node
        elif isinstance(v, np.generic):
            node = self._array(np.asarray(v), blobs, "s")
            if node is not None:
                return node
        elif isinstance(v, np.random.Generator) and type(v.bit_generator).__name__ in BIT_GENERATORS:
            return {"g": type(v.bit_generator).__name__, "st": self._enc(v.bit_generator.state, blobs, {}, depth + 1)}
        elif isinstance(v, np.dtype):
            return {"dt": v.str} if v.fields is None and v.kind in PLAIN_KINDS else self._handle(v)
        elif t in (list, tuple):
            return {"l" if t is list else "t": [self._enc(x, blobs, args, depth + 1) for x in v]}
        elif t is dict:
            return {"d": [[self._enc(k, blobs, args, depth + 1), self._enc(x, blobs, args, depth + 1)]
                          for k, x in v.items()]}
        elif t is slice:
            return {"sl": [self._enc(x, blobs, args, depth + 1) for x in (v.start, v.stop, v.step)]}
        elif t is range:
            return {"rg": [v.start, v.stop, v.step]}
        elif v is Ellipsis:
            return {"el": 1}
        elif t is complex:
            return {"cx": [v.real, v.imag]}
        elif t is _Items:
            return {"it": [self._enc(x, blobs, args, depth + 1) for x in v.items]}
        elif isinstance(v, type):
            if v.__module__ == "builtins" and v.__name__ in BUILTIN_TYPES and BUILTIN_TYPES[v.__name__] is v:
                return {"bt": v.__name__}
            if issubclass(v, np.generic) and getattr(np, v.__name__, None) is v:
                return {"nt": v.__name__}
        elif t is type(sys):
            return {"m": v.__name__, "h": self._handle(v)["h"]}
        elif "keras" in sys.modules:
            node = self._enc_keras(v, blobs)
            if node is not None:
                return node
        return self._handle(v)

    def _handle(self, v):
        key = id(v)
        handle = self.ids.get(key)
        if handle is None or self.local.get(handle) is not v:
            handle = next(self.counter)
            self.ids[key] = handle
            self.local[handle] = v
        return {"h": handle, "c": _class_path(type(v)), "k": callable(v)}

    def decode(self, tree, blobs, args=None):
        return self._dec(tree, blobs, args or [], 0)

    def _dec(self, n, blobs, args, depth):
        if depth > 64:
            raise WireError("a value nested more than 64 levels deep was refused")
        if n is None or isinstance(n, (bool, int, float, str)):
            return n
        if not isinstance(n, dict) or not n:
            raise WireError(f"an unreadable value was refused ({type(n).__name__})")
        if "a" in n or "s" in n:
            dtype = np.dtype(str(n["dt"]))
            if dtype.kind not in PLAIN_KINDS or dtype.fields is not None:
                raise WireError(f"an array of dtype {dtype} was refused")
            blob = blobs[int(n["a"] if "a" in n else n["s"])]
            shape = tuple(int(s) for s in n["sh"])
            arr = np.frombuffer(blob, dtype=dtype).reshape(shape).copy()
            if "tr" in n:
                axes = [int(i) for i in n["tr"]]
                if sorted(axes) != list(range(arr.ndim)):
                    raise WireError("an array with unreadable axes was refused")
                arr = np.transpose(arr, axes)
            if n.get("tn") and "tensorflow" in sys.modules:
                return sys.modules["tensorflow"].constant(arr)
            return arr if "a" in n else arr[()]
        if "fl" in n:
            return float(n["fl"])
        if "l" in n:
            return [self._dec(x, blobs, args, depth + 1) for x in n["l"]]
        if "it" in n:
            return iter([self._dec(x, blobs, args, depth + 1) for x in n["it"]])
        if "t" in n:
            return tuple(self._dec(x, blobs, args, depth + 1) for x in n["t"])
        if "d" in n:
            return {self._dec(k, blobs, args, depth + 1): self._dec(x, blobs, args, depth + 1) for k, x in n["d"]}
        if "arg" in n:
            return args[int(n["arg"])]
        if "r" in n:
            try:
                return self.local[int(n["r"])]
            except KeyError:
                raise WireError("a handle this end never gave was refused") from None
        if "g" in n:
            name = str(n["g"])
            if name not in BIT_GENERATORS:
                raise WireError(f"a generator of kind {name!r} was refused")
            gen = np.random.Generator(getattr(np.random, name)())
            gen.bit_generator.state = self._dec(n["st"], blobs, args, depth + 1)
            return gen
        if "dt" in n:
            return np.dtype(str(n["dt"]))
        if "sl" in n:
            return slice(*(self._dec(x, blobs, args, depth + 1) for x in n["sl"]))
        if "rg" in n:
            return range(*(int(x) for x in n["rg"]))
        if "el" in n:
            return Ellipsis
        if "cx" in n:
            return complex(float(n["cx"][0]), float(n["cx"][1]))
        if "bt" in n:
            if n["bt"] not in BUILTIN_TYPES:
                raise WireError(f"an unknown built-in type {n['bt']!r} was refused")
            return BUILTIN_TYPES[n["bt"]]
        if "nt" in n:
            t = getattr(np, str(n["nt"]), None)
            if not (isinstance(t, type) and issubclass(t, np.generic)):
                raise WireError(f"an unknown NumPy type {n['nt']!r} was refused")
            return t
        if "m" in n and str(n["m"]).split(".")[0] in self.safe_modules:
            import importlib
            try:
                return importlib.import_module(str(n["m"]))
            except ImportError:
                pass
        if "kv" in n or "kr" in n:
            return self._dec_keras(n, blobs)
        if "h" in n:
            handle = int(n["h"])
            proxy = self.proxies.get(handle)
            if proxy is None:
                cls = n.get("c") if isinstance(n.get("c"), list) and len(n["c"]) == 2 else ["", ""]
                proxy = self.proxies[handle] = Proxy(self, handle, (str(cls[0]), str(cls[1])), bool(n.get("k")))
            return proxy
        raise WireError(f"an unreadable value was refused (keys {sorted(n)[:5]})")

    # -- Keras objects, by value --------------------------------------------------------------------

    def _enc_keras(self, v, blobs):
        keras = sys.modules["keras"]
        layer_class = getattr(getattr(keras, "layers", None), "Layer", None)
        if isinstance(layer_class, type) and isinstance(v, layer_class):
            for token, copy in self.copies.items():
                if copy is v:
                    return {"kr": token}          # the other end's own object: it has it already
            token = next((t for t, obj in self.own.items() if obj is v), None)
            if token is not None:
                return {"kv": token}              # sent before: the message's "sync" brings any change
            config = json.dumps(keras.saving.serialize_keras_object(v), default=_json_default)
            token = next(self.counter)
            self.own[token] = v
            weights, attrs = _keras_state(v)
            self.known[("own", token)] = _state_key(weights, attrs)
            return {"kv": token, "cfg": config, "st": self._enc_state(weights, attrs, blobs)}
        variable = getattr(keras, "Variable", None)
        tf = sys.modules.get("tensorflow")
        if (isinstance(variable, type) and isinstance(v, variable)) or (
                tf is not None and isinstance(v, tf.Tensor) and hasattr(v, "numpy")):
            try:
                arr = np.asarray(v)
            except Exception:  # noqa: BLE001 - a symbolic tensor has no values: it stays a handle
                return None
            node = self._array(arr, blobs, "a")
            if node is not None:
                node["tn"] = 1
            return node
        return None

    def _enc_state(self, weights, attrs, blobs):
        return {"w": [self._array(w, blobs, "a") for w in weights], "at": attrs}

    def _dec_keras(self, n, blobs):
        token = int(n.get("kv", n.get("kr")))
        if "kr" in n:
            if token not in self.own:
                raise WireError("a Keras object this end never sent was refused")
            return self.own[token]
        if token in self.copies:
            return self.copies[token]
        if "cfg" not in n:
            raise WireError("a Keras object this end never received was refused")
        keras = self._keras_module()
        config = json.loads(str(n["cfg"]))
        unsafe = _unsafe_keras_classes(config)
        if unsafe:
            raise KerasObjectRefused(
                f"the grader rebuilds a Keras model from its configuration, with Keras's own layers only: "
                f"{', '.join(unsafe)} cannot be rebuilt. Build the model from the layers in keras.layers "
                "(no Lambda layer, no class of your own).")
        try:
            obj = keras.saving.deserialize_keras_object(config, safe_mode=True)
        except Exception as exc:  # noqa: BLE001 - reported as what it is: the model could not be rebuilt
            raise KerasObjectRefused(f"the grader could not rebuild this Keras model from its configuration "
                                     f"({type(exc).__name__}: {str(exc)[:300]})") from None
        self.copies[token] = obj
        weights, attrs = self._dec_state(n.get("st") or {}, blobs)
        _set_keras_state(obj, weights, attrs)
        self.known[("copy", token)] = _state_key(weights, attrs)
        return obj

    def _dec_state(self, node, blobs):
        weights = [self._dec(w, blobs, [], 1) for w in node.get("w", [])]
        if not all(isinstance(w, np.ndarray) for w in weights):
            raise WireError("Keras weights that are not arrays were refused")
        attrs = {k: v for k, v in (node.get("at") or {}).items() if k in KERAS_ATTRS and isinstance(v, bool)}
        return weights, attrs

    def _keras_module(self):
        if "keras" not in sys.modules and "keras" in self.safe_modules:
            import importlib

            importlib.import_module("keras")
        if "keras" not in sys.modules:
            raise WireError("a Keras object was refused: Keras is not loaded at this end")
        return sys.modules["keras"]

    def _changed_keras(self, blobs):
        """``[[side, token, state], ...]`` for the Keras objects whose weights or flags changed."""
        changed = []
        for side, table in (("own", self.own), ("copy", self.copies)):
            for token, obj in table.items():
                try:
                    weights, attrs = _keras_state(obj)
                except Exception:  # noqa: BLE001 - an object broken at this end: the other end keeps its state
                    continue
                key = _state_key(weights, attrs)
                if self.known.get((side, token)) != key:
                    self.known[(side, token)] = key
                    changed.append([side, token, self._enc_state(weights, attrs, blobs)])
        return changed

    def _apply_sync(self, changed, blobs):
        for side, token, node in changed:
            # the sender's own object is our copy, and the sender's copy is our own object
            mine = "copy" if side == "own" else "own"
            obj = (self.copies if mine == "copy" else self.own).get(int(token))
            if obj is None:
                raise WireError("the state of a Keras object this end does not have was refused")
            weights, attrs = self._dec_state(node, blobs)
            _set_keras_state(obj, weights, attrs)
            self.known[(mine, int(token))] = _state_key(weights, attrs)

    # -- errors ------------------------------------------------------------------------------------

    @staticmethod
    def _error_tree(exc):
        bases = [c.__name__ for c in type(exc).__mro__
                 if c.__module__ == "builtins" and isinstance(getattr(builtins, c.__name__, None), type)]
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return {"type": type(exc).__name__, "bases": bases, "message": str(exc)[:100_000], "traceback": tb[-20_000:]}

    @staticmethod
    def error_from(tree):
        name = str(tree.get("type", "Exception"))[:100]
        message = str(tree.get("message", ""))
        base = next((getattr(builtins, b) for b in tree.get("bases", []) if isinstance(b, str)
                     and isinstance(getattr(builtins, b, None), type)
                     and issubclass(getattr(builtins, b), Exception) and b != "Exception"), None)
        if base is not None and base.__name__ == name:
            cls = base
        else:
            cls = type(name, (base, RemoteError) if base is not None else (RemoteError,), {})
        try:
            exc = cls(message)
        except Exception:  # noqa: BLE001 - a base whose constructor wants more (UnicodeError kinds)
            exc = type(name, (RemoteError,), {})(message)
        exc.remote_traceback = str(tree.get("traceback", ""))
        return exc

    # -- requests ------------------------------------------------------------------------------------

    def request(self, op, target=None, *args, **fields):
        tree, blobs = self.encode([target, list(args)])
        self.send({"op": op, "v": tree, **fields}, blobs)
        return self._wait()[0]

    def call(self, target, args, kwargs):
        """Call ``target`` (a proxy) at the other end; write back what the call changed in the arguments."""
        args, kwargs = list(args), dict(kwargs)
        tree, blobs = self.encode([target, args, kwargs])
        # the caller's floating-point error handling goes with the call: a check written as
        # ``with np.errstate(over="raise"): f(x)`` must see f's overflow, wherever f runs
        self.send({"op": "call", "v": tree, "err": np.geterr()}, blobs)
        value, back = self._wait(args + list(kwargs.values()))
        everything = args + list(kwargs.values())
        for index, new in back:
            _write_back(everything[index], new)
        return value

    def send(self, header, blobs=None):
        """Send one message, with the state of every Keras object that changed since the last one."""
        blobs = list(blobs or [])
        changed = self._changed_keras(blobs)
        send(self.sock, {**header, "sync": changed} if changed else header, blobs)

    def receive(self):
        header, blobs = recv(self.sock)
        if header.get("sync"):
            self._apply_sync(header["sync"], blobs)
        return header, blobs

    def _wait(self, args=None):
        while True:
            header, blobs = self.receive()
            op = header["op"]
            if op == "reply":
                back = [(int(i), self.decode(t, blobs)) for i, t in header.get("back", [])]
                return self.decode(header.get("v"), blobs, args), back
            if op == "raise":
                raise self.error_from(header.get("error") or {})
            self._serve_one(header, blobs)

    def serve(self):
        """Answer the other end's requests until it says it is done."""
        try:
            while True:
                header, blobs = self.receive()
                self._serve_one(header, blobs)
        except (_Done, ConnectionError):
            return   # the other end is done, or gone: it reports what happened itself

    def done(self):
        self.send({"op": "done"})

    def _serve_one(self, header, blobs):
        op = header["op"]
        if op == "done":
            raise _Done
        try:
            if op == "names":
                found = {}
                for name in header.get("names", []):
                    if isinstance(name, str) and name in self.namespace:
                        found[name] = self.namespace[name]
                tree, out = self.encode(found)
                self.send({"op": "reply", "v": tree}, out)
                return
            if op == "assign":
                values = self.decode(header.get("v"), blobs)
                for name, value in values.items():
                    if isinstance(name, str):
                        self.namespace[name] = value
                self.send({"op": "reply", "v": None})
                return
            if op == "call":
                target, args, kwargs = self.decode(header.get("v"), blobs)
                everything = list(args) + list(kwargs.values())
                before = [self.encode(a) for a in everything]
                with np.errstate(**_errstate(header.get("err"))):
                    value = target(*args, **kwargs)
                    if isinstance(value, types.GeneratorType):
                        # run it out now, while the arguments are still ours: its draws from a generator
                        # argument then come back with the call (the caller gets an iterator over the items)
                        value = _Items(value)
                positions = {id(a): (i, a) for i, a in enumerate(everything)}
                out = []
                back = []
                for i, (a, old) in enumerate(zip(everything, before)):
                    new = self.encode(a)
                    if not _same(new, old):
                        back.append([i, self._enc(a, out, {}, 0)])
                tree = self._enc(value, out, positions, 0)
                self.send({"op": "reply", "v": tree, "back": back}, out)
                return
            target, args = self.decode(header.get("v"), blobs)
            value = _apply(op, target, args)
            tree, out = self.encode(value)
            self.send({"op": "reply", "v": tree}, out)
        except (_Done, WireError, ConnectionError, KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - the other end gets every error raised by the request
            self.send({"op": "raise", "error": self._error_tree(exc)})


ERR_KINDS = ("divide", "over", "under", "invalid")
ERR_MODES = ("ignore", "warn", "raise", "print")   # not "call" or "log": they need a handler set here


class KerasObjectRefused(ValueError):
    """A Keras object that the receiving end does not rebuild (a class that is not Keras's own, a
    configuration Keras cannot read)."""


KERAS_ATTRS = ("stop_training",)       # the flags of a model that travel with its weights
# Keras classes that load files or run code given as data: never rebuilt from a configuration
KERAS_REFUSED = {"Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"}


def _memory_order(arr):
    """The axes of ``arr`` from the largest stride down, when that is not 0, 1, 2, ... and the array is
    contiguous in that order (a transposed view); None otherwise (sent as C order)."""
    if arr.ndim < 2 or arr.flags.c_contiguous or arr.size <= 1:
        return None
    order = sorted(range(arr.ndim), key=lambda i: -arr.strides[i])
    return order if np.transpose(arr, order).flags.c_contiguous else None


def _json_default(value):
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not part of a Keras configuration that can be sent")


def _unsafe_keras_classes(config):
    """The classes a Keras configuration names that are not Keras's own or that Keras must not rebuild."""
    found, stack = [], [config]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if "class_name" in node:
                name, module = node.get("class_name"), node.get("module")
                registered = node.get("registered_name")
                own = isinstance(module, str) and (module == "keras" or module.startswith("keras."))
                if not isinstance(name, str) or name in KERAS_REFUSED or (module is not None and not own) \
                        or (registered is not None and registered != name):
                    found.append(f"{name} (from {module or registered or 'an unknown module'})")
            stack.extend(node.values())
    return sorted(set(map(str, found)))


def _keras_state(obj):
    """(weights, flags) of a Keras layer or model: what changes while it is used."""
    return ([np.asarray(w) for w in obj.get_weights()],
            {name: bool(getattr(obj, name)) for name in KERAS_ATTRS if isinstance(getattr(obj, name, None), bool)})


def _state_key(weights, attrs):
    import hashlib

    digest = hashlib.blake2b(digest_size=16)
    for w in weights:
        digest.update(f"{w.dtype.str}{w.shape}".encode())
        digest.update(np.ascontiguousarray(w).tobytes())
    return digest.hexdigest(), tuple(sorted(attrs.items()))


def _set_keras_state(obj, weights, attrs):
    if weights or obj.weights:
        shapes = [tuple(w.shape) for w in obj.get_weights()]
        if shapes != [w.shape for w in weights]:
            raise KerasObjectRefused(f"the weights sent for a Keras object have the shapes "
                                     f"{[w.shape for w in weights]}, the object has {shapes}: a model changed "
                                     "in structure (layers added or rebuilt) cannot be sent back")
        obj.set_weights(weights)
    for name, value in attrs.items():
        setattr(obj, name, value)


def _errstate(err):
    """The keyword arguments of ``np.errstate`` that a call's ``err`` field asks for (bad entries dropped)."""
    if not isinstance(err, dict):
        return {}
    return {k: v for k, v in err.items() if k in ERR_KINDS and v in ERR_MODES}


def _apply(op, target, args):
    if op == "getattr":
        return getattr(target, args[0])
    if op == "setattr":
        return setattr(target, args[0], args[1])
    if op == "delattr":
        return delattr(target, args[0])
    if op == "getitem":
        return target[args[0]]
    if op == "setitem":
        target[args[0]] = args[1]
        return None
    if op == "delitem":
        del target[args[0]]
        return None
    if op == "len":
        return len(target)
    if op == "list":
        return list(target)
    if op == "contains":
        return args[0] in target
    if op == "bool":
        return bool(target)
    if op == "float":
        return float(target)
    if op == "int":
        return int(target)
    if op == "index":
        return target.__index__()
    if op == "array":
        return np.asarray(target)
    if op == "repr":
        return repr(target)
    if op == "str":
        return str(target)
    if op == "format":
        return format(target, args[0])
    if op == "eq":
        result = target == args[0]
        return result if isinstance(result, (bool, np.bool_, np.ndarray)) else bool(result)
    if op == "signature":
        import inspect

        return [[p.name, int(p.kind), p.default is not p.empty]
                for p in inspect.signature(target).parameters.values()]
    if op == "dir":
        return [str(x) for x in dir(target)]
    raise WireError(f"unknown request {op!r}")


def _write_back(old, new):
    """Make ``old`` (the caller's argument) hold ``new`` (what the call left in its copy), in place."""
    if isinstance(old, np.ndarray) and isinstance(new, np.ndarray):
        if old.shape == new.shape and old.flags.writeable:
            old[...] = new.astype(old.dtype, copy=False)
    elif isinstance(old, dict) and isinstance(new, dict):
        for key in [k for k in old if k not in new]:
            del old[key]
        for key, value in new.items():
            if key in old and isinstance(old[key], (np.ndarray, dict, list)) and type(old[key]) is type(value) \
                    and (not isinstance(value, np.ndarray) or old[key].shape == value.shape):
                _write_back(old[key], value)
            else:
                old[key] = value
    elif isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)) and len(old) == len(new):
        # the arrays inside stay the caller's own objects (a test holding weights[0] sees the change)
        for i, (a, b) in enumerate(zip(old, new)):
            if isinstance(a, (np.ndarray, dict, list, tuple)) and type(a) is type(b) \
                    and (not isinstance(a, np.ndarray) or a.shape == b.shape):
                _write_back(a, b)
            elif isinstance(old, list):
                old[i] = b
    elif isinstance(old, list) and isinstance(new, list):
        old[:] = new
    elif isinstance(old, np.random.Generator) and isinstance(new, np.random.Generator):
        old.bit_generator.state = new.bit_generator.state
