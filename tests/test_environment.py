"""The two install routes (pip with pyproject.toml, conda with environment.yml) agree.

pip: the core `dependencies` are what a student gets from `pip install .`; the `test` extra adds the
maintainer's tools (`make setup` installs `-e ".[test]"`). conda: environment.yml lists both, so a conda
user can run the tests too.
"""

import re
import tomllib

import yaml

from conftest import ROOT

CORE = {"numpy", "jupyterlab", "ipywidgets", "matplotlib", "tensorflow", "nbgrader"}
TEST_TOOLS = {"pytest", "pytest-xdist", "playwright", "ruff"}
# conda-forge packages whose name differs from the pip package's (checked on anaconda.org/conda-forge)
CONDA_FORGE_NAMES = {"playwright-python": "playwright"}


def _name(requirement):
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _by_name(requirements):
    return {_name(r): r.replace(" ", "") for r in requirements}


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pip_core():
    """What `pip install .` installs: the core dependencies."""
    return _by_name(pyproject()["dependencies"])


def pip_test():
    """What the `test` extra adds."""
    return _by_name(pyproject().get("optional-dependencies", {}).get("test", []))


def pip_dependencies():
    """Everything the pip route can install: the core dependencies and the `test` extra."""
    return {**pip_core(), **pip_test()}


def conda_dependencies():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = [d for d in env["dependencies"] if isinstance(d, str)]
    return {CONDA_FORGE_NAMES.get(_name(d), _name(d)): _version(d)
            for d in deps if _name(d) not in {"python", "pip"}}


def _version(requirement):
    """`name>=1.0` with conda-forge's name changed to pip's, so both routes' bounds compare."""
    name = _name(requirement)
    return CONDA_FORGE_NAMES.get(name, name) + requirement.strip()[len(name):].replace(" ", "")


def conda_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = [d for d in env["dependencies"] if isinstance(d, str) and _name(d) == "python"]
    assert len(pins) == 1, "environment.yml must pin python once (python=3.X)"
    return tuple(int(part) for part in pins[0].split("=")[-1].split("."))


def test_both_routes_list_the_same_packages():
    """Does environment.yml list exactly the core and test packages that pyproject.toml does?"""
    pip, conda = pip_dependencies(), conda_dependencies()
    assert sorted(set(pip) - set(conda)) == [], "in pyproject.toml but not in environment.yml"
    assert sorted(set(conda) - set(pip)) == [], "in environment.yml but not in pyproject.toml"


def test_both_routes_ask_for_the_same_versions():
    """Does each package carry the same version bound in both files?"""
    pip, conda = pip_dependencies(), conda_dependencies()
    differ = {n: (pip[n], conda[n]) for n in set(pip) & set(conda) if pip[n] != conda[n]}
    assert differ == {}


def test_core_dependencies_are_listed():
    """Are the course's core dependencies all in the core list, which a student installs?"""
    assert sorted(CORE - set(pip_core())) == []


def test_test_tools_are_an_extra_only():
    """Are pytest, pytest-xdist, playwright and ruff in the `test` extra, and out of a student's install?"""
    assert sorted(TEST_TOOLS - set(pip_test())) == [], "missing from [project.optional-dependencies] test"
    assert sorted(TEST_TOOLS & set(pip_core())) == [], "a plain `pip install .` would install these"


def test_setup_installs_the_test_extra():
    """Does `make setup` install the course with its test tools?"""
    assert 'pip install -e ".[test]"' in (ROOT / "Makefile").read_text()


def test_conda_names_are_conda_forges():
    """Is a package that conda-forge names differently listed under conda-forge's name?"""
    env = (ROOT / "environment.yml").read_text()
    for conda, pip in CONDA_FORGE_NAMES.items():
        assert re.search(rf"^\s*- {re.escape(conda)}\b", env, re.M), f"environment.yml: list `{pip}` as `{conda}`"
        assert not re.search(rf"^\s*- {re.escape(pip)}[<>=\s]", env, re.M), \
            f"environment.yml: `{pip}` is not a conda-forge package; its name there is `{conda}`"


def test_the_python_claim_is_true():
    """Does pyproject claim no older Python than the course runs on (tomllib is 3.11+), and does the conda
    route pin one that satisfies the claim?"""
    claim = pyproject()["requires-python"]
    lowest = tuple(int(part) for part in re.match(r">=\s*(\d+(?:\.\d+)*)", claim).group(1).split("."))
    assert lowest >= (3, 11), f"requires-python is {claim!r}, but the tests import tomllib (Python 3.11+)"
    assert conda_python() >= lowest, "environment.yml pins a Python older than requires-python"
