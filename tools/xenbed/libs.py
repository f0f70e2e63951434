"""The plain-C libraries (evtchn/, net/) and their unit tests: meson."""

from .common import BUILD, REPO, run

LIBS = BUILD / "xenbed"


def build():
    if not (LIBS / "build.ninja").exists():
        run(["meson", "setup", LIBS, REPO], quiet=True)
    run(["meson", "compile", "-C", LIBS], quiet=True)
    return LIBS
