"""nbgrader's configuration for this course, where nbgrader looks for it: the course root.

Stock nbgrader commands run from here (``nbgrader generate_assignment``, ``autograde``,
``generate_feedback``, ``export``, the formgrader of ``make instructor``) and share everything with
``course-grade``: the source (solutions/), the gradebook (gradebook.db), the folders submitted/,
autograded/ and feedback/, the release the gradebook knows (grading/release/), and the feedback's
hiding of hidden tests. The settings themselves live in autograder/nbgrader_config.py, which
``course-grade`` passes to nbgrader from any folder. ``$COURSE_GRADE_DIR`` points stock nbgrader and
the formgrader at another course folder, as it does ``course-grade``.

``course-grade autograde`` runs each submission in the grading sandbox and withholds the course's
answers; stock ``nbgrader autograde`` runs student code as you, with neither: use it only on
notebooks you trust.
"""
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))   # the autograder package, also when nbgrader is not the venv's own

c = get_config()  # noqa: F821 - injected by traitlets when nbgrader loads this file
load_subconfig(str(HERE / "autograder" / "nbgrader_config.py"))  # noqa: F821 - injected by traitlets
# The course folder course-grade grades in: the project root, or $COURSE_GRADE_DIR (`make instructor`
# sets it from --course-dir). Its own solutions/ is the source when it has one, else the project's
# (as autograder.coursedir.GradingCourse decides); the gradebook is nbgrader's default, <root>/gradebook.db.
_course = Path(os.environ.get("COURSE_GRADE_DIR") or HERE).resolve()
c.CourseDirectory.root = str(_course)
c.CourseDirectory.source_directory = "solutions" if (_course / "solutions").is_dir() else str(HERE / "solutions")
c.CourseDirectory.release_directory = "grading/release"   # course-grade's; lessons/ is `course-grade release`'s
# The formgrader needs a writable exchange folder or it shows an error: a private one inside the course
# (`make instructor` creates it). Students never fetch from it: they get lessons/ or the LMS's copy.
c.Exchange.root = str(_course / "grading" / "exchange")
