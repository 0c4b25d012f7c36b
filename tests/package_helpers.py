"""Test packages (SCORM, cmi5) as ZIPs, built from their folders under tests/packages/.

The packages live in the repository as plain folders (readable, diffable); the ZIPs a
course names (`package: packages/<name>.zip`) are made when a test needs them.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

PACKAGES = Path(__file__).resolve().parent / "packages"
_NAMED = re.compile(r"^package:\s*packages/([\w-]+)\.zip\s*$", re.MULTILINE)


# The script both SCORM test packages run (it asks the page for 1.2 or 2004):
# one copy, put into each of their ZIPs.
SCORM_SHARED = PACKAGES / "_scorm"


def zip_folder(folder: Path, *also: Path) -> bytes:
    """The files of `folder` (and of the folders `also`) as a ZIP, paths relative to
    their folder (same bytes every time)."""
    files = {
        path.relative_to(root).as_posix(): path
        for root in (*also, folder)
        for path in root.rglob("*")
        if path.is_file()
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name].read_bytes())
    return buffer.getvalue()


def package_zip(name: str) -> bytes:
    """The test package tests/packages/<name> as a ZIP (a SCORM one with the shared
    script)."""
    folder = PACKAGES / name
    shared = (SCORM_SHARED,) if (folder / "imsmanifest.xml").exists() else ()
    return zip_folder(folder, *shared)


def courses_with_packages(source: Path, target: Path) -> Path:
    """A copy of the course folders in `source` at `target`, with every package ZIP a
    unit names (`package: packages/<name>.zip`) built from tests/packages/<name>."""
    shutil.copytree(source, target)
    for unit_file in target.glob("*/*.md"):
        for name in _NAMED.findall(unit_file.read_text(encoding="utf-8")):
            zip_path = unit_file.parent / "packages" / f"{name}.zip"
            if not zip_path.exists() and (PACKAGES / name).is_dir():
                zip_path.parent.mkdir(exist_ok=True)
                zip_path.write_bytes(package_zip(name))
    return target
