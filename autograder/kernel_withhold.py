# Run by IPython when a sandboxed grading kernel starts (mounted into its profile's startup folder,
# after the output limiter). It keeps a test cell's hidden tests out of everything the notebook can
# read back or print (the source tracebacks quote, the input history), and it withholds the course's
# own answers to the lesson being graded: every library function that is the reference of one of the
# lesson's graded functions is replaced, in every course module that holds it, by a guard. The
# guard runs the function for the course's own code (the library calling its parts, the lesson's
# setup and demo cells as released) and refuses everyone else:
# a submission that imports `course.nn.optim.sgd` as its `sgd` gets a WithheldAnswer error in the test
# cells instead of the points, and the grader reports why (worker.py).
#
# Who is "the course's own code" is decided by code object, not by file name (a cell's file name can be
# chosen by the code in it): the code objects of course modules as loaded from disk, and the code compiled
# while a cell whose source is, byte for byte, a released non-solution, non-test cell runs. Test cells are
# not trusted: they call the student's names, and those may be bound to the answer. Walking outward from
# the caller, the first cell frame decides; a frame from no file at all (exec'd text) is not trusted.
#
# This is one layer: code that digs into the interpreter (gc, __closure__, frames, exec) can still find
# the originals, and the grader flags such code for review (rebuild.py); the sandbox keeps the rest.
def _course_grade_withhold():
    import hashlib
    import importlib
    import importlib.abc
    import importlib.machinery
    import json
    import linecache
    import os
    import re
    import sys
    import types

    from IPython import get_ipython

    path = os.path.join(os.environ.get("HOME", ""), ".course-grade", "withhold.json")
    try:
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
    except (OSError, ValueError):
        return
    shell = get_ipython()
    if shell is None:
        return
    lesson = spec["lesson"]
    trusted_sources = set(spec.get("trusted", []))
    exercises = spec.get("exercises", {})   # dotted name -> the graded functions it answers

    library_code = set()   # ids of trusted code objects (kept alive in `keep`, so ids are never reused)
    cell_code = set()
    student_code = set()   # every other cell's: whatever file name it claims
    keep = []
    state = {"trusted_cell": False, "hidden_cell": False}
    hidden_block = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*", re.M | re.S)

    def blank_hidden(text):
        # every line of a hidden block becomes empty: line numbers (and tracebacks) stay right
        return hidden_block.sub(lambda m: "\n" * m.group(0).count("\n"), text)

    def collect(code, into):
        todo = [code]
        while todo:
            c = todo.pop()
            if id(c) in into:
                continue
            into.add(id(c))
            keep.append(c)
            todo.extend(k for k in c.co_consts if isinstance(k, types.CodeType))

    # -- the library's code objects, recorded as each course module is loaded from disk ------------
    class TrustedLoader(importlib.abc.Loader):
        def __init__(self, inner):
            self.inner = inner

        def create_module(self, spec):
            return self.inner.create_module(spec)

        def exec_module(self, module):
            code = self.inner.get_code(module.__name__)
            if code is None:
                return self.inner.exec_module(module)
            collect(code, library_code)
            exec(code, module.__dict__)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    class CourseFinder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, target_path=None, target=None):
            if name != "course" and not name.startswith("course."):
                return None
            found = importlib.machinery.PathFinder.find_spec(name, target_path)
            if found is not None and isinstance(found.loader, importlib.machinery.SourceFileLoader):
                found.loader = TrustedLoader(found.loader)
            return found

    sys.meta_path.insert(0, CourseFinder())

    # -- cells: code compiled while a released instructor cell runs is trusted -----------------------
    def pre_run_cell(info):
        raw = getattr(info, "raw_cell", None) or ""
        state["trusted_cell"] = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest() in trusted_sources
        state["hidden_cell"] = "### BEGIN HIDDEN TESTS" in raw

    def post_run_cell(*_):
        state["trusted_cell"] = state["hidden_cell"] = False

    shell.events.register("pre_run_cell", pre_run_cell)
    shell.events.register("post_run_cell", post_run_cell)
    base = type(shell.compile)

    class TrustingCompiler(base):
        def __call__(self, *args, **kwargs):
            code = super().__call__(*args, **kwargs)
            if isinstance(code, types.CodeType):
                collect(code, cell_code if state["trusted_cell"] else student_code)
            return code

        def cache(self, transformed_code, number=0, raw_code=None):
            name = super().cache(transformed_code, number, raw_code)
            if state["hidden_cell"]:
                hide_tests(name, transformed_code, raw_code or transformed_code, number)
            return name

    def hide_tests(name, code, raw, number):
        # A test cell's hidden tests stay out of what the notebook can read back or print: the source
        # tracebacks quote (linecache), the input history (In, _ih, _i<n>, and its database).
        shown, shown_raw = blank_hidden(code), blank_hidden(raw)
        linecache.cache[name] = (len(shown), None, [line + "\n" for line in shown.splitlines()], name)
        hm = shell.history_manager
        if hm is not None:
            for entries, text in ((hm.input_hist_parsed, shown), (hm.input_hist_raw, shown_raw)):
                if entries:
                    entries[-1] = text
            with hm.db_input_cache_lock:
                if hm.db_input_cache and hm.db_input_cache[-1][0] == number:
                    hm.db_input_cache[-1] = (number, shown, shown_raw)
            hm._i00 = shown_raw
        for key in (f"_i{number}", "_i00"):
            if key in shell.user_ns:
                shell.user_ns[key] = shown_raw

    shell.compile.__class__ = TrustingCompiler

    real_files = {}

    def from_a_file(code):
        name = code.co_filename
        if name not in real_files:
            real_files[name] = os.path.isfile(name)
        return real_files[name]

    class WithheldAnswer(RuntimeError):
        """The course's answer to a graded function was called by the submission."""

    WithheldAnswer.__module__ = "course_grade"

    def allowed(frame):
        while frame is not None:
            code = frame.f_code
            if id(code) in cell_code:
                return True
            if id(code) in student_code:
                return False
            if id(code) not in library_code:
                name = code.co_filename
                if name.startswith("<frozen"):
                    pass   # the import machinery: a module being loaded by whoever imported it
                elif name.startswith("<") or not from_a_file(code) or (cell_dir and name.startswith(cell_dir)):
                    return False   # a student cell, or text run with exec: not ours
            frame = frame.f_back
        return True

    try:
        from ipykernel.compiler import get_tmp_directory
        cell_dir = get_tmp_directory() + os.sep
    except Exception:  # noqa: BLE001 - any IPython without ipykernel: its cells are "<ipython-input-...>"
        cell_dir = ""

    def guard_for(dotted, original):
        answers = ", ".join(f"`{g}`" for g in exercises.get(dotted, [])) or "a graded function"
        message = (f"{dotted} is the course's own answer to {answers} of lesson {lesson}, and it cannot be "
                   f"used while this lesson is graded: write {answers} yourself (or call your own functions).")

        def guard(*args, **kwargs):
            if allowed(sys._getframe(1)):
                return original(*args, **kwargs)
            raise WithheldAnswer(message)

        for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
            try:
                setattr(guard, attr, getattr(original, attr))
            except (AttributeError, TypeError):
                pass
        return guard

    guards = {}
    for dotted in spec.get("withheld", []):
        module_name, _, attr = dotted.rpartition(".")
        try:
            module = importlib.import_module(module_name)
            original = getattr(module, attr)
        except Exception:  # noqa: BLE001 - a reference that does not import is the library's problem, not the student's
            continue
        if callable(original) and id(original) not in guards:
            guards[id(original)] = (original, guard_for(dotted, original))
    # every course module holding one of them (course.nn re-exports, `from .optim import sgd`) gets the guard
    for name, module in list(sys.modules.items()):
        if name != "course" and not name.startswith("course."):
            continue
        for key, value in list(vars(module).items()):
            hit = guards.get(id(value))
            if hit is not None and hit[0] is value:
                setattr(module, key, hit[1])


_course_grade_withhold()
del _course_grade_withhold
