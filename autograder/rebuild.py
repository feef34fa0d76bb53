"""Rebuild a submission from the released notebook, so that deleting or editing cells gains nothing.

The graded notebook is the lesson's *template* (the released notebook with the instructor's versions
of the locked and test cells, hidden tests included) in which only the student's own work is put
back: each solution cell, matched by its ``grade_id``, and the free cells the student wrote (or the
unlocked demo cells they edited), each kept after the locked cell it followed. Everything else comes
from the template: deleted cells come back, edited test cells and nbgrader metadata (points, grade,
locked) are restored, and each restoration is reported. Pasted images (markdown attachments) are
not kept: each reference to one is replaced by a note, and reported.
"""

from __future__ import annotations

import ast
import copy
import re
import uuid
from dataclasses import dataclass, field

import nbformat

from autograder.outputs import strip_attachments


@dataclass
class Rebuilt:
    """The notebook to grade and what was restored to build it."""

    nb: nbformat.NotebookNode
    notes: list = field(default_factory=list)   # human-readable, one per restoration
    tampered: bool = False   # a test or locked code cell, or grading metadata, had to be restored


def meta(cell):
    """A cell's nbgrader metadata ({} for an ordinary cell)."""
    value = cell.get("metadata", {}).get("nbgrader", {})
    return value if isinstance(value, dict) else {}


def grade_id(cell):
    gid = meta(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


GRADING_KEYS = ("grade", "solution", "locked", "points", "task", "grade_id")

# Code that reaches into IPython or the kernel can change how the tests after it report failures.
SUSPICIOUS = re.compile(r"get_ipython|set_custom_exc|excepthook|InteractiveShell|ipykernel|run_cell"
                        r"|showtraceback|_ih\b|sys\.modules\[")
# Code that digs into the interpreter can reach the answers the grading kernel withholds
# (kernel_withhold.py): the originals behind the guards, the library's source, code run under another name.
DIGGING = re.compile(r"\bgc\b|__closure__|__code__|__wrapped__|__globals__|\bf_back\b|_getframe|\bFunctionType\b"
                     r"|\bCodeType\b|\bmarshal\b|\bgetsource\w*|\bget_source\b|__loader__|__spec__|__file__"
                     r"|\blinecache\b|IPYKERNEL_CELL_NAME|(?<![.\w])(?:exec|eval|compile)\(|\bimportlib\b"
                     r"|\bmeta_path\b")


def _grading_meta(cell):
    m = meta(cell)
    return {k: m.get(k) for k in GRADING_KEYS if k in m}


def _fresh(cell, source=None):
    """A copy of a template cell with a new id, no outputs, and optionally another source."""
    new = copy.deepcopy(cell)
    new["id"] = uuid.uuid4().hex[:8]
    if source is not None:
        new["source"] = source
    if new.get("cell_type") == "code":
        new["outputs"] = []
        new["execution_count"] = None
    return new


def _free(cell):
    """A student's cell without any grading metadata (only its type and source survive)."""
    kind = cell.get("cell_type")
    source = _source(cell)
    if kind == "code":
        return nbformat.v4.new_code_cell(source)
    if kind == "raw":
        return nbformat.v4.new_raw_cell(source)
    return nbformat.v4.new_markdown_cell(source)


def _describe(cell):
    kind = "test cell" if meta(cell).get("grade") and not meta(cell).get("solution") else (
        "solution cell" if meta(cell).get("solution") else f"locked {cell.get('cell_type')} cell")
    return f"{kind} '{grade_id(cell)}'"


def rebuild(template, submitted, released=None):
    """Build the notebook to grade from ``template`` and the student's ``submitted`` notebook.

    Parameters
    ----------
    template : notebook whose nbgrader cells are the instructor's (hidden tests included)
    submitted : the student's notebook (any nbformat 4 notebook; its cells may be anything)
    released : dict grade_id -> source the student was given (test cells without their hidden
        tests), to tell an edited cell from an untouched one; default: the template's sources

    Returns
    -------
    Rebuilt: the notebook (template order, student's solutions and free cells), notes, tampered
    """
    by_id = {grade_id(c): c for c in template.cells if grade_id(c)}
    rebuilt = Rebuilt(nb=nbformat.v4.new_notebook())
    rebuilt.nb.metadata = copy.deepcopy(template.metadata)
    rebuilt.nb.nbformat, rebuilt.nb.nbformat_minor = template.nbformat, template.nbformat_minor

    # The student's cells: the first cell of each known grade_id, and free cells after their anchor.
    theirs, free_after, anchor = {}, {None: []}, None
    for cell in submitted.get("cells", []):
        if not isinstance(cell, dict):
            continue
        gid = grade_id(cell)
        if gid in by_id and gid not in theirs:
            theirs[gid] = cell
            anchor = gid
            free_after.setdefault(gid, [])
            continue
        if gid in by_id:
            rebuilt.notes.append(f"a second cell with the id '{gid}' was graded as an ordinary cell")
        elif gid is not None or meta(cell):
            if meta(cell).get("grade") or meta(cell).get("points"):
                rebuilt.tampered = True
                rebuilt.notes.append(f"a cell claiming to be graded ('{gid}') is not in the lesson; "
                                     "graded as an ordinary cell")
            elif gid:
                rebuilt.notes.append(f"the cell '{gid}' is not in the lesson: graded as an ordinary cell")
        free_after[anchor].append(_free(cell))

    cells = [*free_after[None]]
    for cell in template.cells:
        gid = grade_id(cell)
        if gid is None:
            continue   # the template's unlocked cells: the student's own copies (free cells) are used
        mine = theirs.get(gid)
        m = meta(cell)
        if m.get("solution"):
            if mine is None:
                rebuilt.notes.append(f"solution cell '{gid}' is missing: graded as unanswered")
                cells.append(_fresh(cell))
            else:
                if _grading_meta(mine) != _grading_meta(cell) or mine.get("cell_type") != cell.cell_type:
                    rebuilt.tampered = True
                    rebuilt.notes.append(f"solution cell '{gid}': its nbgrader metadata was changed; "
                                         "restored")
                cells.append(_fresh(cell, source=_source(mine)))
        else:
            if mine is None:
                rebuilt.notes.append(f"{_describe(cell)} was deleted; restored")
                rebuilt.tampered |= cell.cell_type == "code" or bool(m.get("grade"))
            else:
                changed = []
                given = {_source(cell).strip(), (released or {}).get(gid, _source(cell)).strip()}
                if _source(mine).strip() not in given:
                    changed.append("its code was edited" if cell.cell_type == "code" else "it was edited")
                if _grading_meta(mine) != _grading_meta(cell):
                    changed.append("its nbgrader metadata was changed" + _points_change(mine, cell))
                if mine.get("cell_type") != cell.cell_type:
                    changed.append("its type was changed")
                if changed:
                    rebuilt.notes.append(f"{_describe(cell)}: {' and '.join(changed)}; restored")
                    rebuilt.tampered |= (cell.cell_type == "code" or bool(m.get("grade"))
                                         or any("metadata" in c for c in changed))
            cells.append(_fresh(cell))
        cells.extend(free_after.get(gid, []))
    rebuilt.nb.cells = cells
    _note_attachments(rebuilt)
    _flag_suspicious(rebuilt, by_id)
    _flag_rebinding(rebuilt, by_id, guarded_names(template))
    return rebuilt


def _note_attachments(rebuilt):
    """Replace references to pasted images with a note (the attachments themselves are not kept).

    Only the student's cells (free and solution cells): the lesson's own cells keep theirs.
    """
    for index, cell in enumerate(rebuilt.nb.cells):
        if cell.get("cell_type") != "markdown" or (grade_id(cell) and not meta(cell).get("solution")):
            continue
        names = strip_attachments(cell)
        if names:
            rebuilt.notes.append(f"cell {index + 1}: pasted image{'s' if len(names) > 1 else ''} "
                                 f"{', '.join(names)} not kept (attachments are not graded; a note "
                                 "takes their place)")


def _lesson_setup_nodes(template):
    """Imports and definitions of the lesson's locked setup cells (not its test cells)."""
    nodes = []
    for cell in template.cells:
        m = meta(cell)
        if cell.cell_type != "code" or not m.get("locked") or m.get("grade") or m.get("solution"):
            continue
        try:
            tree = ast.parse(_source(cell))
        except SyntaxError:
            continue
        nodes += [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef,
                                                          ast.ClassDef))]
    return nodes


def guarded_names(template):
    """Names the lesson's setup cells import or define, which its tests rely on (np, check_array...)."""
    names = set()
    for node in _lesson_setup_nodes(template):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
        else:
            names.add(node.name)
    return names


def restore_code(template):
    """Code that binds the guarded names again (run silently before each test cell)."""
    return "\n".join(ast.unparse(node) for node in _lesson_setup_nodes(template))


def _bound_names(tree):
    """Top-level names a cell rebinds by assignment or definition, and names whose attributes it sets."""
    rebound, patched = set(), set()
    for node in tree.body:
        targets = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            rebound.add(node.name)
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Name) and isinstance(leaf.ctx, ast.Store):
                    rebound.add(leaf.id)
                elif isinstance(leaf, ast.Attribute) and isinstance(leaf.ctx, ast.Store):
                    root = leaf.value
                    while isinstance(root, ast.Attribute):
                        root = root.value
                    if isinstance(root, ast.Name):
                        patched.add(root.id)
    return rebound, patched


def _flag_rebinding(rebuilt, by_id, guarded):
    """Note (as tampering) student cells that redefine or patch what the tests use."""
    for index, cell in enumerate(rebuilt.nb.cells):
        gid = grade_id(cell)
        if cell.cell_type != "code" or (gid and not meta(by_id[gid]).get("solution")):
            continue
        try:
            rebound, patched = _bound_names(ast.parse(_source(cell)))
        except SyntaxError:
            continue
        where = f"solution cell '{gid}'" if gid else f"cell {index + 1} (added by the student)"
        if rebound & guarded:
            rebuilt.tampered = True
            rebuilt.notes.append(f"{where} redefines {', '.join(sorted(rebound & guarded))}, which the tests "
                                 "use: the lesson's versions are restored before each test cell")
        if patched & guarded:
            rebuilt.tampered = True
            rebuilt.notes.append(f"review by hand: {where} changes attributes of "
                                 f"{', '.join(sorted(patched & guarded))}, which the tests use")


def _flag_suspicious(rebuilt, by_id):
    """Note the student's code cells that touch IPython's machinery or dig into the interpreter: an
    instructor should look."""
    for index, cell in enumerate(rebuilt.nb.cells):
        gid = grade_id(cell)
        if cell.cell_type != "code" or (gid and not meta(by_id[gid]).get("solution")):
            continue
        source = _source(cell)
        where = f"solution cell '{gid}'" if gid else f"cell {index + 1} (added by the student)"
        found = sorted(set(SUSPICIOUS.findall(source)))
        if found:
            rebuilt.notes.append(f"review by hand: {where} uses {', '.join(found)}, which can change how "
                                 "the tests after it report failures")
        found = sorted(set(DIGGING.findall(source)))
        if found:
            rebuilt.notes.append(f"review by hand: {where} uses {', '.join(found)}, which can reach the "
                                 "course's answers that grading withholds")


def _points_change(mine, cell):
    a, b = meta(cell).get("points"), meta(mine).get("points")
    return f" (points {a:g} -> {b})" if isinstance(a, (int, float)) and a != b and b is not None else ""
