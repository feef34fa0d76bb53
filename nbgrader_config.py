"""nbgrader's configuration for this course, where nbgrader looks for it: the course root.

Stock nbgrader commands run from here (``nbgrader generate_assignment``, ``autograde``,
``generate_feedback``, ``export``, the formgrader of ``make instructor``) and share everything with
``course-grade``: the source (solutions/), the gradebook (gradebook.db), the folders submitted/,
autograded/ and feedback/, the release the gradebook knows (grading/release/), and the feedback's
hiding of hidden tests. The settings themselves live in autograder/nbgrader_config.py, which
``course-grade`` passes to nbgrader from any folder.

``course-grade autograde`` runs each submission in the grading sandbox and withholds the course's
answers; stock ``nbgrader autograde`` runs student code as you, with neither: use it only on
notebooks you trust.
"""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))   # the autograder package, also when nbgrader is not the venv's own

c = get_config()  # noqa: F821 - injected by traitlets when nbgrader loads this file
load_subconfig(str(HERE / "autograder" / "nbgrader_config.py"))  # noqa: F821 - injected by traitlets
c.CourseDirectory.release_directory = "grading/release"   # course-grade's; lessons/ is `course-grade release`'s
