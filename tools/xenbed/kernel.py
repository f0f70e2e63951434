"""Guest kernels and initramfs images, built without root.

A kernel comes as a Debian linux-image .deb (extracted with dpkg-deb -x) or
as a bare bzImage.  The initramfs holds busybox-static, the requested
modules with their dependencies (decompressed, in load order) and an init
that loads them and runs a test script.
"""

import lzma
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import inputs
from .common import BUILD, REPO, XenbedError, log, read_stamp, sha256_file, write_stamp

KERNELS = BUILD / "kernels"
INITRAMFS = BUILD / "initramfs"
BUSYBOX = Path("/bin/busybox")
GUEST_INIT = REPO / "tests" / "guest" / "init"
GUEST_PROGS = REPO / "tests" / "guest" / "progs"
MODULE_SUFFIXES = (".ko", ".ko.xz", ".ko.zst", ".ko.gz")


@dataclass
class Kernel:
    image: Path
    release: str = ""
    modules: Path = None        # lib/modules/<release>, or None
    source: Path = None
    builtin: set = field(default_factory=set)

    @property
    def label(self):
        return self.release or self.image.name


def is_bzimage(path):
    """x86 boot protocol: 'HdrS' at 0x202."""
    try:
        with open(path, "rb") as f:
            f.seek(0x202)
            return f.read(4) == b"HdrS"
    except OSError:
        return False


def extract_deb(deb):
    """Extract a linux-image .deb once; return its Kernel."""
    deb = Path(deb).resolve()
    if not deb.is_file():
        raise XenbedError(f"kernel {deb}: no such file")
    dest = KERNELS / deb.name.removesuffix(".deb")
    key = f"{deb}:{deb.stat().st_size}:{deb.stat().st_mtime_ns}"
    if read_stamp(dest / ".stamp") != key:
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        proc = subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
        if proc.returncode != 0:
            shutil.rmtree(dest)
            raise XenbedError(f"kernel {deb}: not a Debian package "
                              f"({proc.stdout.strip()})")
        write_stamp(dest / ".stamp", key)
    images = sorted((dest / "boot").glob("vmlinuz-*"))
    if not images:
        raise XenbedError(f"kernel {deb}: package has no boot/vmlinuz-*; "
                          "is it a linux-image package?")
    release = images[0].name.removeprefix("vmlinuz-")
    modules = None
    for libdir in ("lib", "usr/lib"):
        candidate = dest / libdir / "modules" / release
        if candidate.is_dir():
            modules = candidate
    kernel = Kernel(image=images[0], release=release, modules=modules,
                    source=deb)
    kernel.builtin = read_builtin(modules)
    return kernel


def read_builtin(modules):
    if not modules or not (modules / "modules.builtin").exists():
        return set()
    return {module_name(line) for line in
            (modules / "modules.builtin").read_text().split()}


def module_name(path):
    name = Path(path).name
    for suffix in MODULE_SUFFIXES:
        if name.endswith(suffix):
            name = name[:-len(suffix)]
    return name.replace("-", "_")


def resolve(spec=None, modules_dir=None):
    """A Kernel from a .deb, a bzImage, or a pinned version ('6.1', '6.12')."""
    spec = spec or inputs.DEFAULT_KERNEL
    if spec in inputs.KERNEL_DEBS:
        return extract_deb(inputs.find(inputs.KERNEL_DEBS[spec]))
    path = Path(spec)
    if not path.exists():
        raise XenbedError(f"kernel {spec}: no such file (give a .deb, a "
                          f"bzImage, or one of {', '.join(inputs.KERNEL_DEBS)})")
    if path.suffix == ".deb":
        return extract_deb(path)
    if not is_bzimage(path):
        raise XenbedError(f"kernel {spec}: not an x86 kernel image "
                          "(no 'HdrS' boot header) and not a .deb")
    kernel = Kernel(image=path.resolve(), source=path.resolve())
    if modules_dir:
        kernel.modules = Path(modules_dir).resolve()
        kernel.release = kernel.modules.name
        kernel.builtin = read_builtin(kernel.modules)
    return kernel


def module_deps(kernel):
    """{module name: (path, [dependency names])} from a generated modules.dep."""
    dep_file = kernel.modules / "modules.dep"
    if not dep_file.exists():
        # Debian packages ship no modules.dep; depmod writes one in the
        # extracted tree (no root needed).
        base = kernel.modules.parents[2]
        proc = subprocess.run(["depmod", "-b", str(base), kernel.release],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
        if proc.returncode != 0 or not dep_file.exists():
            raise XenbedError(f"depmod failed for {kernel.modules}: "
                              f"{proc.stdout.strip()}")
    table = {}
    for line in dep_file.read_text().splitlines():
        target, _, deps = line.partition(":")
        table[module_name(target)] = (kernel.modules / target,
                                      [module_name(d) for d in deps.split()])
    return table


def module_load_order(kernel, names):
    """Module files for `names` and their dependencies, dependencies first;
    built-in modules are left out."""
    wanted = [n.replace("-", "_") for n in names]
    wanted = [n for n in wanted if n not in kernel.builtin]
    if not wanted:
        return []
    if kernel.modules is None:
        log(f"kernel {kernel.label}: no modules directory (--modules-dir); "
            f"assuming {', '.join(wanted)} built in")
        return []
    table = module_deps(kernel)
    order, seen = [], set()

    def visit(name, chain):
        if name in seen or name in kernel.builtin:
            return
        if name not in table:
            raise XenbedError(f"module {name} ({' <- '.join(chain)}) is "
                              f"neither built into {kernel.label} nor shipped "
                              "with it")
        seen.add(name)
        path, deps = table[name]
        for dep in deps:
            visit(dep, chain + [dep])
        order.append(path)

    for name in wanted:
        visit(name, [name])
    return order


def decompress_module(src, dst):
    data = src.read_bytes()
    if src.name.endswith(".xz"):
        data = lzma.decompress(data)
    elif src.name.endswith(".zst"):
        data = subprocess.run(["zstd", "-dc", str(src)], check=True,
                              stdout=subprocess.PIPE).stdout
    elif src.name.endswith(".gz"):
        import gzip
        data = gzip.decompress(data)
    dst.write_bytes(data)


def guest_program(name):
    """tests/guest/progs/NAME.c built as a static binary for the guest."""
    source = GUEST_PROGS / f"{name}.c"
    binary = BUILD / "guest-progs" / name
    if not source.exists():
        raise XenbedError(f"no guest program {source}")
    # The programs' own headers (netif-garbage.h) count as their source.
    newest = max(f.stat().st_mtime
                 for f in [source, *GUEST_PROGS.glob("*.h")])
    if not binary.exists() or binary.stat().st_mtime < newest:
        binary.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(["cc", "-static", "-O2", "-Wall", "-Wextra",
                               "-Werror", "-o", str(binary), str(source)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
        if proc.returncode != 0:
            raise XenbedError(f"cannot build {source}:\n{proc.stdout}")
    return binary


def build_initramfs(kernel, modules=(), script="", name="initramfs",
                    programs=(), files=None):
    """Write an uncompressed newc cpio: busybox, modules, init, test script,
    the named guest programs in /bin and `files` ({path in the guest: host
    path}).  Returns its path; rebuilt only when its contents change."""
    files = {k.strip("/"): Path(v) for k, v in (files or {}).items()}
    # "name param=value ..." passes parameters to that module's insmod.
    params = {}
    for spec in modules:
        module, _, args = spec.partition(" ")
        params[module.replace("-", "_")] = args.strip()
    order = module_load_order(kernel, list(params))
    binaries = [guest_program(p) for p in programs]
    key_parts = [str(kernel.image), sha256_file(BUSYBOX),
                 GUEST_INIT.read_text(), script, repr(sorted(params.items()))] + \
        [str(p) for p in order] + \
        [f"{b}:{b.stat().st_mtime_ns}" for b in binaries] + \
        [f"{k}={v}:{v.stat().st_mtime_ns}" for k, v in sorted(files.items())]
    key = "\n".join(key_parts)
    out = INITRAMFS / f"{name}.cpio"
    if read_stamp(out.with_suffix(".stamp")) == key and out.exists():
        return out
    if not BUSYBOX.exists():
        raise XenbedError(f"{BUSYBOX} missing: run xenbed setup "
                          "(package busybox-static)")
    root = INITRAMFS / f"{name}.root"
    if root.exists():
        shutil.rmtree(root)
    for d in ("bin", "dev", "proc", "sys", "tmp", "etc", "modules"):
        (root / d).mkdir(parents=True)
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    os.symlink("busybox", root / "bin" / "sh")
    for binary in binaries:
        shutil.copy2(binary, root / "bin" / binary.name)
    for target, source in files.items():
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, root / target)
    shutil.copy2(GUEST_INIT, root / "init")
    (root / "init").chmod(0o755)
    load_list = []
    for i, path in enumerate(order):
        module = module_name(path)
        target = f"{i:02d}-{module}.ko"
        decompress_module(path, root / "modules" / target)
        load_list.append(f"{target} {params.get(module, '')}".rstrip())
    (root / "etc" / "modules").write_text("".join(m + "\n" for m in load_list))
    test = root / "test.sh"
    test.write_text(script)
    test.chmod(0o755)
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    with open(out, "wb") as f:
        subprocess.run(["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0"],
                       input="\n".join(["."] + files).encode(), cwd=root,
                       stdout=f, check=True)
    write_stamp(out.with_suffix(".stamp"), key)
    shutil.rmtree(root)
    return out
