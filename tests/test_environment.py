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
    return {_name(d): d.replace(" ", "") for d in deps if _name(d) not in {"python", "pip"}}


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
