"""The plain-C libraries (evtchn/, net/) and their unit tests: meson.

Two build trees: a plain one, and one with AddressSanitizer and
UndefinedBehaviorSanitizer (both run by `xenbed test`), since these
libraries parse guest-written memory.
"""

from .common import BUILD, REPO, run

LIBS = BUILD / "xenbed"
LIBS_SANITIZED = BUILD / "xenbed-asan"
TREES = {
    LIBS: [],
    LIBS_SANITIZED: ["-Db_sanitize=address,undefined", "-Db_lundef=false",
                     "-Dbuildtype=debug"],
}


def build():
    for tree, options in TREES.items():
        if not (tree / "build.ninja").exists():
            run(["meson", "setup", *options, tree, REPO], quiet=True)
        run(["meson", "compile", "-C", tree], quiet=True)
    return LIBS
