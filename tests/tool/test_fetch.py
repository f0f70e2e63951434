"""Pinned inputs fetched with apt from a local file: repository the tests
build (no network): a good fetch through `xenbed setup`, a corrupt file,
a package the archive no longer carries, an unreachable archive."""

import gzip
import hashlib
import os
import subprocess
import textwrap

import pytest

from xenbed import fetch, inputs
from xenbed.common import REPO, XenbedError, sha256_file


@pytest.fixture(scope="session")
def pinned():
    """The real pinned files (from XENBED_DIST or the cache), found before
    any test hides them: the test repositories serve them."""
    paths = {}
    for name in inputs.pins():
        paths[name] = inputs.locate(name)
        if paths[name] is None:
            pytest.fail(f"{name} is needed to build the test repository: "
                        "set XENBED_DIST or run xenbed setup")
    return paths


def dsc_for(item, orig):
    """A minimal unsigned .dsc naming `orig` as the source's only file."""
    data = orig.read_bytes()
    size = len(data)
    return textwrap.dedent(f"""\
        Format: 3.0 (quilt)
        Source: {item.package}
        Binary: {item.package}-system-x86
        Architecture: any
        Version: {item.version}
        Maintainer: xenbed tests <tests@localhost>
        Checksums-Sha256:
         {hashlib.sha256(data).hexdigest()} {size} {orig.name}
        Files:
         {hashlib.md5(data).hexdigest()} {size} {orig.name}
        """)


def make_repo(root, files):
    """A flat apt repository in root holding `files` (pinned name -> path):
    .debs in Packages.gz, the orig tarball in Sources.gz behind a .dsc."""
    root.mkdir()
    for name, path in files.items():
        (root / name).symlink_to(path)
        item = inputs.ARCHIVE[name]
        if item.kind == "source":
            version = item.version.split(":", 1)[-1]
            (root / f"{item.package}_{version}.dsc").write_text(
                dsc_for(item, path))
    for tool, index in (("dpkg-scanpackages", "Packages"),
                        ("dpkg-scansources", "Sources")):
        proc = subprocess.run([tool, "."], cwd=root, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, check=True)
        (root / f"{index}.gz").write_bytes(gzip.compress(proc.stdout))
    sources = root.parent / "sources.list"
    sources.write_text(f"deb [trusted=yes] file:{root} ./\n"
                       f"deb-src [trusted=yes] file:{root} ./\n")
    return sources


def fake_deb(tmp_path, name):
    """A package with the pinned name and version but other content."""
    item = inputs.ARCHIVE[name]
    tree = tmp_path / "fake"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(
        f"Package: {item.package}\nVersion: {item.version}\n"
        "Architecture: all\nMaintainer: xenbed tests <tests@localhost>\n"
        "Description: not the pinned package\n")
    (tree / "usr").mkdir()
    (tree / "usr" / "not-pinned").write_text("tampered\n")
    deb = tmp_path / name
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(tree),
                    str(deb)], check=True, stdout=subprocess.DEVNULL)
    return deb


@pytest.fixture
def fetch_env(tmp_path, monkeypatch):
    """No XENBED_DIST, a private cache: only fetching can provide inputs."""
    monkeypatch.delenv("XENBED_DIST", raising=False)
    monkeypatch.delenv("XENBED_FETCH", raising=False)
    monkeypatch.delenv("XENBED_QEMU_TARBALL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def point_apt_at(monkeypatch, sources):
    monkeypatch.setenv("XENBED_APT_SOURCES", str(sources))


def test_setup_fetches_every_input(pinned, tmp_path):
    """`xenbed setup` on a machine with no dist folder fetches all five
    inputs (both kinds: binary packages and the source's orig tarball),
    checks them, and is silent the second time."""
    sources = make_repo(tmp_path / "repo", pinned)
    env = {k: v for k, v in os.environ.items()
           if k not in ("XENBED_DIST", "XENBED_QEMU_TARBALL", "XENBED_FETCH")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"),
               XENBED_APT_SOURCES=str(sources))
    proc = subprocess.run([str(REPO / "xenbed"), "setup"], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout
    cache = tmp_path / "cache" / "xenbed" / "dist"
    for name, digest in inputs.pins().items():
        assert f"fetched {cache / name}" in proc.stdout, proc.stdout
        assert sha256_file(cache / name) == digest
    # Only the pinned files: no .dsc or Debian tarball beside them.
    assert sorted(p.name for p in cache.iterdir()) == sorted(inputs.pins())
    again = subprocess.run([str(REPO / "xenbed"), "setup"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=600)
    assert again.returncode == 0 and again.stdout == "", again.stdout


def test_find_fetches_one_input(pinned, fetch_env, monkeypatch, capsys):
    name = inputs.PYCOTAP_DEB
    point_apt_at(monkeypatch, make_repo(fetch_env / "repo",
                                        {name: pinned[name]}))
    path = inputs.find(name)
    assert path == fetch_env / "cache" / "xenbed" / "dist" / name
    assert sha256_file(path) == inputs.pins()[name]
    out = capsys.readouterr().out
    assert f"fetching {name} (python3-pycotap 1.3.1-2~bpo12+1" in out
    assert "sha256 checked" in out


def test_corrupt_download_is_refused(fetch_env, monkeypatch):
    name = inputs.PYCOTAP_DEB
    point_apt_at(monkeypatch, make_repo(fetch_env / "repo",
                                        {name: fake_deb(fetch_env, name)}))
    with pytest.raises(XenbedError) as err:
        inputs.find(name)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"cannot fetch {name}: ")
    assert f"not the pinned {inputs.pins()[name]}" in message
    assert "set XENBED_DIST" in message
    assert not (fetch_env / "cache" / "xenbed" / "dist" / name).exists()


def test_package_the_archive_no_longer_carries(pinned, fetch_env, monkeypatch):
    name = inputs.KERNEL_DEBS["6.1"]
    other = inputs.PYCOTAP_DEB
    point_apt_at(monkeypatch, make_repo(fetch_env / "repo",
                                        {other: pinned[other]}))
    with pytest.raises(XenbedError) as err:
        inputs.find(name)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"cannot fetch {name}: the archive no longer "
                              "carries linux-image-6.1.0-56-cloud-amd64 "
                              "6.1.192-2")
    assert "set XENBED_DIST" in message
    assert "apt-get download linux-image-6.1.0-56-cloud-amd64=6.1.192-2" \
        in message


def test_unreachable_archive(fetch_env, monkeypatch):
    # Port 9 on loopback: connection refused, as with no network at all.
    sources = fetch_env / "sources.list"
    sources.write_text("deb http://127.0.0.1:9/debian bookworm main\n")
    point_apt_at(monkeypatch, sources)
    name = inputs.MESON_DEB
    with pytest.raises(XenbedError) as err:
        inputs.find(name)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"cannot fetch {name}: the Debian archive "
                              "could not be reached")
    assert "127.0.0.1:9" in message
    assert "set XENBED_DIST" in message


def test_dist_folder_wins_over_fetching(pinned, fetch_env, monkeypatch):
    name = inputs.PYCOTAP_DEB
    dist = fetch_env / "dist"
    dist.mkdir()
    (dist / name).symlink_to(pinned[name])
    monkeypatch.setenv("XENBED_DIST", str(dist))
    point_apt_at(monkeypatch, fetch_env / "no-such-sources.list")
    assert inputs.find(name) == dist / name
    inputs.provide_all([name])
    assert not fetch.apt_dir().exists()


def test_fetch_off_names_the_file(fetch_env, monkeypatch):
    monkeypatch.setenv("XENBED_FETCH", "no")
    with pytest.raises(XenbedError) as err:
        inputs.find(inputs.MESON_DEB)
    assert f"missing input {inputs.MESON_DEB}" in str(err.value)
    assert not fetch.apt_dir().exists()


def test_sources_name_the_systems_mirrors(tmp_path, monkeypatch):
    monkeypatch.delenv("XENBED_APT_SOURCES", raising=False)
    monkeypatch.delenv("XENBED_DEBIAN_MIRROR", raising=False)
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text(
        "# deb http://commented.example/debian bookworm main\n")
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian/\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n\n"
        "Types: deb\nURIs: http://mirror.example/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n\n"
        "Enabled: no\nTypes: deb\nURIs: http://disabled.example/debian\n"
        "Suites: bookworm\nComponents: main\n")
    text = fetch.sources_list(tmp_path)
    assert text.splitlines() == [
        "deb http://mirror.example/debian bookworm-backports main",
        "deb http://mirror.example/debian-security bookworm-security main",
        "deb-src http://mirror.example/debian trixie main",
    ]
    monkeypatch.setenv("XENBED_DEBIAN_MIRROR", "http://other.example/debian")
    assert "deb-src http://other.example/debian trixie main" in \
        fetch.sources_list(tmp_path)
