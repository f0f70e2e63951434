"""The plain-C libraries (evtchn/, net/) and their unit tests: meson.

Three build trees, all run by `xenbed test`, since these libraries parse
guest-written memory: a plain one, one with AddressSanitizer and
UndefinedBehaviorSanitizer, and one with the libFuzzer targets (clang).
"""

from .common import BUILD, REPO, run

LIBS = BUILD / "xenbed"
LIBS_SANITIZED = BUILD / "xenbed-asan"
LIBS_FUZZ = BUILD / "xenbed-fuzz"
TREES = {
    LIBS: [],
    LIBS_SANITIZED: ["-Db_sanitize=address,undefined", "-Db_lundef=false",
                     "-Dbuildtype=debug"],
    LIBS_FUZZ: ["-Dfuzzing=true", "-Db_lundef=false", "-Dbuildtype=debug"],
}
TREE_ENV = {LIBS_FUZZ: {"CC": "clang"}}


def build():
    for tree, options in TREES.items():
        if not (tree / "build.ninja").exists():
            run(["meson", "setup", *options, tree, REPO], quiet=True,
                env=TREE_ENV.get(tree))
        run(["meson", "compile", "-C", tree], quiet=True)
    return LIBS
