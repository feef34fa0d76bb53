"""Grade every collected submission of a lesson: in parallel, sandboxed, and safe to run again.

Worker processes rebuild and execute the submissions, one sandbox slot each (``worker.py``). This
process alone writes the gradebook: as each submission comes back, nbgrader's own ``autograde``
scores and saves it, with ``Execute`` replaced by :class:`~autograder.nbgrader_plugins.UseSandboxOutputs`.
A submission is graded again only when it, the lesson or the limits changed (or with ``force``).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import sys
import warnings
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from autograder import status as st
from autograder.coursedir import STATE
from autograder.lessons import LessonError
from autograder.sandbox import Limits, sweep_slots
from autograder.worker import Job

GRADER_VERSION = "2"   # change it when grading itself changes: every submission is then graded again


def submission_key(path, template, limits):
    """What a grade depends on: the submitted file, the lesson, the limits and the grader."""
    h = hashlib.sha256(GRADER_VERSION.encode())
    h.update(Path(path).read_bytes())
    h.update(template.digest.encode())
    h.update(json.dumps(limits.as_dict(), sort_keys=True).encode())
    return h.hexdigest()


class GradebookWriter:
    """Saves executed submissions with nbgrader's ``autograde`` (in this process, one at a time)."""

    def __init__(self, course, limits=None):
        from nbconvert.preprocessors import ClearMetadataPreprocessor
        from nbgrader.apps.api import NbGraderAPI
        from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern,
                                            LimitOutput, SaveAutoGrades)

        from autograder.nbgrader_plugins import UseSandboxOutputs

        self.course = course
        config = course.nbgrader_config()
        config.CourseDirectory.submitted_directory = f"{STATE}/staged"
        config.Autograde.autograde_preprocessors = [
            UseSandboxOutputs, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
            AssignLatePenalties, CheckCellMetadata]
        config.UseSandboxOutputs.executed_directory = str(course.state / "executed")
        config.UseSandboxOutputs.output_budget = (limits or Limits()).output_budget
        self.api = NbGraderAPI(config=config)

    def save(self, lesson, student):
        """Score and save one student's executed submission; return (score, max_score)."""
        from nbgrader.api import Gradebook

        name_student(self.course, lesson, student)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # sqlalchemy's autoflush chatter inside nbgrader
            out = self.api.autograde(lesson, student, force=True, create=True)
        if not out.get("success"):
            log = (out.get("log", "") + out.get("error", "")).strip()
            raise LessonError(f"nbgrader could not save the grade of {student}:\n{log[-3000:]}")
        with Gradebook(self.course.db_url, self.course.course_id) as gb:
            sub = gb.find_submission(lesson, student)
            return float(sub.score), float(sub.max_score)


def student_names(student, lms_name=None):
    """(first_name, last_name) for the gradebook: the LMS's name when collect read one, else the id.

    A Moodle full name "Ada Lovelace" gives ("Ada", "Lovelace"); a name without a space (Canvas's
    sortable name in a file name, "lovelaceada") is the last name; without one the id is the last name,
    so that the formgrader lists every student by something readable instead of "None, None".
    """
    name = " ".join((lms_name or "").split())
    if not name:
        return "", student
    first, _, last = name.rpartition(" ")
    return first, last


def name_student(course, lesson, student):
    """Add ``student`` to the gradebook with a name (see student_names); a name already there is kept."""
    from nbgrader.api import Gradebook, MissingEntry

    from autograder.collect import lms_records

    first, last = student_names(student, lms_records(course, lesson).get(student, {}).get("lms_name"))
    with Gradebook(course.db_url, course.course_id) as gb:
        try:
            known = gb.find_student(student)
        except MissingEntry:
            gb.add_student(student, first_name=first, last_name=last)
            return
        if not (known.first_name or known.last_name):
            gb.update_or_create_student(student, first_name=first, last_name=last)


def plan(course, lesson, template, limits, force=False, students=None):
    """Split the students into jobs to run and results that are up to date."""
    jobs, current, missing = [], [], []
    for student in students if students is not None else course.students(lesson):
        path = course.submitted(student, lesson)
        if not path.is_file():
            missing.append(student)
            continue
        key = submission_key(path, template, limits)
        old = st.Result.load(course.result_path(student, lesson))
        if (not force and old is not None and old.key == key and old.status != st.GRADER_ERROR
                and course.autograded(student, lesson).is_file()):
            current.append(old)
            continue
        jobs.append(Job(lesson=lesson, student=student, submission=str(path), template=template.text(),
                        released=template.released, files=template.files,
                        staged=str(course.staged(student, lesson)),
                        executed=str(course.executed(student, lesson)), key=key, limits=limits))
    return jobs, current, missing


def _init_worker():
    """Claim this worker's sandbox slot before the first job (so a missing slot fails fast)."""
    from autograder import worker

    worker.slot()
    worker._font_cache()


def _run_pool(jobs, workers, on_done):
    """Run ``jobs`` on ``workers`` processes, calling ``on_done(job, result_dict_or_exception)``."""
    ctx = multiprocessing.get_context("spawn")
    todo, attempts = list(jobs), {}
    while todo:
        pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(todo))), mp_context=ctx,
                                   initializer=_init_worker)
        retry = []
        try:
            futures = {pool.submit(_grade, job): job for job in todo}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    job = futures[future]
                    try:
                        on_done(job, future.result())
                    except BrokenProcessPool as exc:
                        attempts[job.student] = attempts.get(job.student, 0) + 1
                        if attempts[job.student] < 2:
                            retry.append(job)
                        else:
                            on_done(job, exc)
                    except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the batch
                        on_done(job, exc)
        except BaseException:
            # interrupted (Ctrl-C, SIGTERM: see cli.py): stop the workers now instead of letting them
            # finish their submissions; their kernels die with them (bwrap --die-with-parent)
            _kill_workers(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        todo = retry
    return


def _kill_workers(pool):
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.kill()
    for process in processes:
        process.join(timeout=10)


def _grade(job):
    from autograder.worker import grade

    return grade(job)


def autograde(course, lesson, workers=1, limits=None, force=False, students=None, progress=True,
              log=print):
    """Grade the collected submissions of ``lesson`` in ``course``; return every Result, by student.

    Parameters
    ----------
    course : GradingCourse
    lesson : lesson id
    workers : number of worker processes (each runs one sandboxed kernel at a time)
    limits : sandbox Limits (default: Limits())
    force : grade again even the submissions whose grade is up to date
    students : only these students (default: all with a collected submission)
    progress : show a progress bar (tqdm) on stderr
    """
    from tqdm import tqdm

    limits = limits or Limits()
    if students is None and not course.students(lesson):
        raise LessonError(f"no submissions of {lesson} in {course.root / 'submitted'}: collect them first "
                          f"(`course-grade collect SOURCE {lesson}`)")
    template = course.prepare(lesson)
    jobs, current, missing = plan(course, lesson, template, limits, force, students)
    for student in missing:
        log(f"{student}: no {lesson}.ipynb in {course.submitted(student, lesson).parent}; skipped")
    results = {r.student: r for r in current}
    if current:
        log(f"{len(current)} submission(s) already graded and unchanged (use --force to grade again)")
    if not jobs:
        return results
    writer = GradebookWriter(course, limits)
    bar = tqdm(total=len(jobs), desc=f"grading {lesson}", unit="submission", disable=not progress,
               file=sys.stderr, dynamic_ncols=True)

    def on_done(job, outcome):
        if isinstance(outcome, BaseException):
            result = st.Result(lesson=lesson, student=job.student, key=job.key)
            result.add(st.GRADER_ERROR, f"the grader failed on this submission: "
                                        f"{type(outcome).__name__}: {outcome}")
        else:
            result = st.Result.from_json(outcome)
            if result.status != st.GRADER_ERROR:
                try:
                    result.score, result.max_score = writer.save(lesson, job.student)
                except Exception as exc:  # noqa: BLE001 - reported, the batch goes on
                    result.add(st.GRADER_ERROR, str(exc))
        result.save(course.result_path(job.student, lesson))
        results[job.student] = result
        bar.set_postfix_str(f"{job.student}: {result.status}", refresh=False)
        bar.update(1)

    # a grading run that was killed (SIGKILL, a closed terminal) can leave its kernels behind: they
    # hold no slot lock any more, so they are killed before this run takes the slots
    for index, pids in sweep_slots().items():
        log(f"note: {len(pids)} process(es) left by an earlier grading run were still running in sandbox "
            f"slot {index} (pids {', '.join(map(str, pids))}); they were killed")
    try:
        _run_pool(jobs, workers, on_done)
    finally:
        bar.close()
        # every worker has exited and killed its kernels; make sure no student code outlives the batch
        for index, pids in sweep_slots().items():
            log(f"warning: {len(pids)} process(es) were still running in sandbox slot {index} after "
                f"its worker exited (pids {', '.join(map(str, pids))}); they were killed")
    return results
