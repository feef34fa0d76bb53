"""What happened to one submission: its status, the reasons, and where that record is kept."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

GRADED = "graded"
TAMPERED = "cells deleted or tampered (restored from source)"
OUTPUT = "output truncated"
WITHHELD = "called a withheld answer"
PROCESSES = "process limit hit"
CRASHED = "crashed kernel"
TIMED_OUT = "timed out"
BUSY = "timed out, machine busy"   # the kernel waited for a CPU more than it ran: regrade when it is quieter
MEMORY = "memory limit hit"
INVALID = "not a valid notebook"
NOT_COLLECTED = "not collected"
GRADER_ERROR = "grader error"

# When several things happened, the headline is the first of these (the reasons list them all).
PRIORITY = [GRADER_ERROR, NOT_COLLECTED, INVALID, BUSY, PROCESSES, MEMORY, TIMED_OUT, CRASHED, TAMPERED, WITHHELD,
            OUTPUT, GRADED]


@dataclass
class Result:
    """The outcome of grading one student's submission of one lesson."""

    lesson: str
    student: str
    events: list = field(default_factory=list)   # [status, reason] pairs, in the order they happened
    score: float | None = None
    max_score: float | None = None
    key: str = ""            # what was graded: submission, lesson and limits (see batch.py)
    seconds: float = 0.0
    usage: dict = field(default_factory=dict)

    def add(self, status, reason):
        self.events.append([status, reason])

    @property
    def status(self):
        found = {s for s, _ in self.events}
        return next((s for s in PRIORITY if s in found), GRADED)

    @property
    def reasons(self):
        """Every reason, most important first."""
        rank = {s: i for i, s in enumerate(PRIORITY)}
        return [r for _, r in sorted(self.events, key=lambda e: rank.get(e[0], len(PRIORITY))) if r]

    @property
    def reason(self):
        """All reasons, most important first, as one line."""
        return "; ".join(self.reasons)

    def to_json(self):
        data = asdict(self)
        data["status"] = self.status
        data["reason"] = self.reason
        return data

    @classmethod
    def from_json(cls, data):
        keys = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in keys})

    def save(self, path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path):
        try:
            return cls.from_json(json.loads(Path(path).read_text()))
        except (OSError, ValueError, TypeError):
            return None
