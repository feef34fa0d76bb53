"""What the grader does to a notebook's text and outputs before it writes them anywhere.

- :func:`repair_unicode`: JSON may hold a lone UTF-16 surrogate (``"\\ud83d"``, half an emoji) that no
  UTF-8 file can: each one becomes U+FFFD, so that the notebook can be written (and graded) at all.
- :func:`limit_outputs`: the outputs of a whole notebook are kept within a byte budget, whatever
  produced them (printing, a rich display, or an exception with a 150 MB message). Error outputs
  are never dropped, only shortened: they decide whether a test cell passes.
- :func:`strip_attachments`: pasted images (markdown attachments) are not graded; a reference to
  one is replaced by a note, so that the feedback does not fail on an attachment that is gone.
- :func:`grader_credit`: a test cell is worth its points if it raised no error, else zero. Partial
  credit is never read from an output: student code can print any ``execute_result`` it likes.
"""

from __future__ import annotations

import re

import nbformat

TRUNCATED = "[output truncated by the grader"   # execute.py and kernel_startup.py leave the same note
# A cell still printing this much past the output budget is flooding, and is interrupted (execute.py,
# kernel_startup.py). A line or a traceback after the budget is only dropped: an interrupt sent for it
# could arrive when the next cell has started.
FLOOD_BYTES = 1 << 20
ERROR_KEEP = 4000   # characters of an error (value and traceback) kept even when the budget is spent
ERROR_MAX = 64 << 10   # and at most this many of an error that does not fit: its start says enough
SURROGATE = re.compile("[\ud800-\udfff]")
# ![alt](attachment:name "title") and <img src="attachment:name">, the two ways a pasted image is shown
ATTACHMENT_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?attachment:([^)\s>]*)>?[^)]*\)")
ATTACHMENT_REF = re.compile(r"attachment:(?=\S)", re.IGNORECASE)


def repair_unicode(node):
    """Replace every lone surrogate in the strings of ``node`` (a notebook, in place) with U+FFFD.

    Returns the number of characters replaced (valid surrogate pairs never reach here: the JSON
    parser joins them into one character).
    """
    count = 0

    def fix(value):
        nonlocal count
        if isinstance(value, str):
            if SURROGATE.search(value):
                value, n = SURROGATE.subn("\ufffd", value)
                count += n
            return value
        if isinstance(value, dict):
            for key in list(value):
                new_key = fix(key)
                item = fix(value.pop(key))
                value[new_key] = item
        elif isinstance(value, list):
            value[:] = [fix(v) for v in value]
        return value

    fix(node)
    return count


def output_size(out):
    """Approximate size in characters of one notebook output."""
    size = len(out.get("text", "") or "") + len(out.get("evalue", "") or "") + len(out.get("ename", "") or "")
    for value in (out.get("data") or {}).values():
        size += len(value) if isinstance(value, str) else len(str(value))
    size += sum(len(line) for line in out.get("traceback", []) or [])
    return size


def _text(value):
    return "".join(value) if isinstance(value, list) else (value or "")


def _shorten_error(out, keep):
    """The error output ``out`` with its value and traceback cut to about ``keep`` characters."""
    half = max(200, keep // 2)
    evalue = _text(out.get("evalue"))
    if len(evalue) > half:
        out["evalue"] = evalue[:half] + f" ... {TRUNCATED}: {len(evalue) - half} more characters]"
    lines, left = [], half
    traceback = out.get("traceback") or []
    for line in reversed(traceback[-50:]):   # from the end, which says where and why
        line = _text(line)
        if len(line) > left:
            line = line[:max(0, left)] + f" ... {TRUNCATED}]"
        lines.append(line)
        left -= len(line)
        if left <= 0:
            break
    out["traceback"] = lines[::-1]
    return out


def limit_outputs(nb, max_chars, note):
    """Keep the outputs of ``nb`` (in place) within ``max_chars`` in all; return True if any were cut.

    Outputs are kept in order until the budget is spent; after that, streams are cut, rich outputs
    dropped, and errors shortened (never dropped) to what is left, within :data:`ERROR_KEEP` and
    :data:`ERROR_MAX` characters. A stream
    output with ``note`` (which must start with :data:`TRUNCATED`) marks the cell where the cut began.
    """
    used, cut, noted = 0, False, False
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            size = output_size(out)
            left = max_chars - used
            if size <= left:
                kept.append(out)
                used += size
                continue
            if out.get("output_type") == "error":
                kept.append(_shorten_error(out, max(min(left, ERROR_MAX), ERROR_KEEP)))
                used += output_size(kept[-1])
            elif out.get("output_type") == "stream" and left > 0:
                out["text"] = _text(out.get("text"))[:left]
                kept.append(out)
                used += left
            if TRUNCATED in _text(out.get("text")):
                noted = True   # the kernel's own note, already there
            cut = True
            if not noted:
                kept.append(nbformat.v4.new_output("stream", name="stdout", text=note))
                noted = True
        cell["outputs"] = kept
    return cut


def strip_attachments(cell):
    """Drop a markdown cell's attachments and replace the references to them with a note (in place).

    Returns the names of the attachments that were referred to or attached (empty if none).
    """
    names = list((cell.get("attachments") or {}).keys())
    cell.pop("attachments", None)
    source = _text(cell.get("source"))
    if "attachment:" not in source.lower():
        return names

    def note(match):
        names.append(match.group(2))
        return f"*[pasted image {match.group(2) or '(unnamed)'} not kept by the grader]*"

    source = ATTACHMENT_IMAGE.sub(note, source)
    if ATTACHMENT_REF.search(source):   # HTML <img src="attachment:..."> and any other link form
        names.append("(link)")
        source = ATTACHMENT_REF.sub("attachment-removed:", source)
    cell["source"] = source
    return list(dict.fromkeys(names))


def is_test_cell(cell):
    m = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(m.get("grade")) and not m.get("solution")


def grader_credit(nb):
    """Make every test cell of ``nb`` all-or-nothing (in place); return the number of outputs changed.

    nbgrader takes the first ``execute_result`` of a test cell as its partial credit, and stops
    looking for errors there. In a test cell every such output is turned into a ``display_data``
    (shown the same way in the feedback, never read as points), so the cell scores its points when
    it raised no error and zero when it did, whatever the student's code displayed.
    """
    changed = 0
    for cell in nb.cells:
        if not is_test_cell(cell):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "execute_result":
                out["output_type"] = "display_data"
                out.pop("execution_count", None)
                changed += 1
    return changed
