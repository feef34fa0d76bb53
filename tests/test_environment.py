"""The two install routes (pip with pyproject.toml, conda with environment.yml) agree."""

import re
import tomllib

import yaml

from conftest import ROOT

CORE = {"numpy", "jupyterlab", "ipywidgets", "matplotlib", "tensorflow", "nbgrader", "pytest"}


def _name(requirement):
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def pip_dependencies():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {_name(r): r.replace(" ", "") for r in data["project"]["dependencies"]}


def conda_dependencies():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = [d for d in env["dependencies"] if isinstance(d, str)]
    return {_name(d): d.replace(" ", "") for d in deps if _name(d) not in {"python", "pip"}}


def test_both_routes_list_the_same_packages():
    """Does environment.yml list exactly the packages pyproject.toml does?"""
    pip, conda = pip_dependencies(), conda_dependencies()
    assert sorted(set(pip) - set(conda)) == [], "in pyproject.toml but not in environment.yml"
    assert sorted(set(conda) - set(pip)) == [], "in environment.yml but not in pyproject.toml"


def test_both_routes_ask_for_the_same_versions():
    """Does each package carry the same version bound in both files?"""
    pip, conda = pip_dependencies(), conda_dependencies()
    differ = {n: (pip[n], conda[n]) for n in set(pip) & set(conda) if pip[n] != conda[n]}
    assert differ == {}


def test_core_dependencies_are_listed():
    """Are the course's core dependencies all there?"""
    assert CORE <= set(pip_dependencies())
