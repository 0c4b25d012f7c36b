"""Reading a package ZIP: SCORM 1.2, SCORM 2004 and cmi5 described, broken ones refused
with every problem at its file and line, in German and English."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from flask_babel import force_locale

from lms.content.spec import MoveOn, PackageStandard
from lms.packages import reading
from lms.packages.reading import PackageError, read_package
from tests.unit.test_course_archive import patch_central

SCORM12 = """\
<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="brandschutz-12" version="3"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="other"><title>Nicht diese</title>
      <item identifier="x" identifierref="res-intro"><title>X</title></item>
    </organization>
    <organization identifier="org">
      <title>Brandschutz – Grundlagen</title>
      <item identifier="kapitel">
        <title>Kapitel 1</title>
        <item identifier="intro" identifierref="res-intro" parameters="?start=1">
          <title>Einführung</title>
          <adlcp:datafromlms>mode=kurz</adlcp:datafromlms>
        </item>
        <item identifier="test" identifierref="res-test">
          <title>Abschlusstest</title>
          <adlcp:masteryscore>80</adlcp:masteryscore>
        </item>
        <item identifier="bilder" identifierref="res-bilder"><title>Bilder</title></item>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res-intro" type="webcontent" adlcp:scormtype="sco"
        href="intro/index.html"><file href="intro/index.html"/></resource>
    <resource identifier="res-test" type="webcontent" adlcp:scormtype="sco"
        href="test%20seite.html?teil=2"><file href="test seite.html"/></resource>
    <resource identifier="res-bilder" type="webcontent" adlcp:scormtype="asset"
        href="bild.png"/>
  </resources>
</manifest>
"""

SCORM2004 = """\
<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="gefahrgut" version="2026.1"
    xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
    xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>Gefahrgut</title>
      <item identifier="lesen" identifierref="r1">
        <title>Lesen</title>
        <adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.75"/>
        <adlcp:dataFromLMS>abc</adlcp:dataFromLMS>
      </item>
      <item identifier="pruefung" identifierref="r2">
        <title>Prüfung</title>
        <imsss:sequencing>
          <imsss:objectives>
            <imsss:primaryObjective objectiveID="p" satisfiedByMeasure="true">
              <imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure>
            </imsss:primaryObjective>
          </imsss:objectives>
        </imsss:sequencing>
      </item>
      <item identifier="ohne" identifierref="r3">
        <title>Ohne Maß</title>
        <imsss:sequencing><imsss:objectives>
          <imsss:primaryObjective satisfiedByMeasure="true"/>
        </imsss:objectives></imsss:sequencing>
      </item>
    </organization>
  </organizations>
  <resources xml:base="content/">
    <resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="lesen.html"/>
    <resource identifier="r2" type="webcontent" adlcp:scormType="sco" xml:base="test"
        href="pruefung.html"/>
    <resource identifier="r3" type="webcontent" adlcp:scormType="sco" href="lesen.html"/>
  </resources>
</manifest>
"""

CMI5 = """\
<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.org/kurse/stapler">
    <title><langstring lang="de-DE">Staplerschein Theorie</langstring></title>
    <description><langstring lang="de-DE">Theorie</langstring></description>
  </course>
  <au id="https://example.org/kurse/stapler/au1" moveOn="CompletedOrPassed"
      masteryScore="0.8" launchMethod="OwnWindow">
    <title><langstring lang="de-DE">Grundlagen</langstring></title>
    <description><langstring lang="de-DE">…</langstring></description>
    <url>au1/index.html?lang=de</url>
    <launchParameters>{"level": 1}</launchParameters>
  </au>
  <block id="https://example.org/kurse/stapler/block">
    <title><langstring lang="de-DE">Block</langstring></title>
    <description><langstring lang="de-DE">…</langstring></description>
    <au id="https://example.org/kurse/stapler/au2">
      <title><langstring lang="de-DE">Praxisfragen</langstring></title>
      <description><langstring lang="de-DE">…</langstring></description>
      <url>au2.html</url>
    </au>
  </block>
</courseStructure>
"""


def make_zip(files: dict[str, bytes | str], **options: object) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data.encode() if isinstance(data, str) else data)
    return buffer.getvalue()


def scorm12_files(manifest: str = SCORM12) -> dict[str, bytes | str]:
    return {
        "imsmanifest.xml": manifest,
        "intro/index.html": "<html>Intro</html>",
        "test seite.html": "<html>Test</html>",
        "bild.png": b"\x89PNG",
    }


def refused(data: bytes) -> tuple[tuple[str, int, str], ...]:
    with pytest.raises(PackageError) as caught:
        read_package(data, "packages/p.zip")
    return tuple((p.path, p.line, p.code) for p in caught.value.problems)


def problems_of(data: bytes) -> list[reading.Problem]:
    with pytest.raises(PackageError) as caught:
        read_package(data, "packages/p.zip")
    return list(caught.value.problems)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


# --- Good packages ---------------------------------------------------------------------


def test_a_scorm_12_package_is_described_by_its_default_organization():
    data = make_zip(scorm12_files())
    spec, files = read_package(data, "packages/brandschutz.zip")
    assert spec.standard is PackageStandard.SCORM12
    assert (spec.file, spec.identifier, spec.version, spec.title) == (
        "packages/brandschutz.zip",
        "brandschutz-12",
        "3",
        "Brandschutz – Grundlagen",
    )
    assert len(spec.sha256) == 64 and spec.files == 4 == len(files)
    assert spec.size == sum(len(d) for d in files.values())
    intro, test = spec.items  # the asset is no item, the other organization not read
    assert (intro.id, intro.title, intro.href, intro.parameters, intro.launch_data) == (
        "intro",
        "Einführung",
        "intro/index.html",
        "start=1",
        "mode=kurz",
    )
    assert intro.passing_score is None and intro.move_on is MoveOn.COMPLETED_OR_PASSED
    assert (test.href, test.parameters, test.passing_score, test.move_on) == (
        "test seite.html",
        "teil=2",
        Decimal("0.8"),
        MoveOn.PASSED,
    )
    assert intro.line == 14 and test.line == 18
    assert files["intro/index.html"] == b"<html>Intro</html>"


def test_a_scorm_2004_package_reads_thresholds_and_measures():
    files = {
        "imsmanifest.xml": SCORM2004,
        "content/lesen.html": "l",
        "content/test/pruefung.html": "p",
    }
    spec, _files = read_package(make_zip(files), "packages/gefahrgut.zip")
    assert spec.standard is PackageStandard.SCORM2004
    assert (spec.identifier, spec.version, spec.title) == ("gefahrgut", "2026.1", "Gefahrgut")
    lesen, pruefung, ohne = spec.items
    assert (lesen.href, lesen.completion_threshold, lesen.passing_score, lesen.launch_data) == (
        "content/lesen.html",
        Decimal("0.75"),
        None,
        "abc",
    )
    assert lesen.move_on is MoveOn.COMPLETED_OR_PASSED
    assert (pruefung.href, pruefung.passing_score, pruefung.move_on) == (
        "content/test/pruefung.html",
        Decimal("0.6"),
        MoveOn.PASSED,
    )
    assert ohne.passing_score == Decimal("1.0")


def test_the_scorm_version_follows_the_namespaces_without_schemaversion():
    manifest = SCORM2004.replace("<schemaversion>2004 4th Edition</schemaversion>", "")
    files = {
        "imsmanifest.xml": manifest,
        "content/lesen.html": "l",
        "content/test/pruefung.html": "p",
    }
    assert read_package(make_zip(files), "p.zip")[0].standard is PackageStandard.SCORM2004
    manifest = SCORM12.replace("<schemaversion>1.2</schemaversion>", "")
    spec = read_package(make_zip(scorm12_files(manifest)), "p.zip")[0]
    assert spec.standard is PackageStandard.SCORM12


def test_a_cmi5_course_lists_its_aus_in_order_blocks_flattened():
    files = {"cmi5.xml": CMI5, "au1/index.html": "1", "au2.html": "2"}
    spec, _files = read_package(make_zip(files), "packages/stapler.zip")
    assert spec.standard is PackageStandard.CMI5
    assert (spec.identifier, spec.title, spec.version) == (
        "https://example.org/kurse/stapler",
        "Staplerschein Theorie",
        "",
    )
    first, second = spec.items
    assert (first.id, first.title, first.href, first.parameters) == (
        "https://example.org/kurse/stapler/au1",
        "Grundlagen",
        "au1/index.html",
        "lang=de",
    )
    assert (first.move_on, first.passing_score, first.launch_method, first.launch_data) == (
        MoveOn.COMPLETED_OR_PASSED,
        Decimal("0.8"),
        "OwnWindow",
        '{"level": 1}',
    )
    assert (second.move_on, second.passing_score, second.launch_method) == (
        MoveOn.NOT_APPLICABLE,
        None,
        "AnyWindow",
    )


def test_a_package_with_both_manifests_is_read_as_cmi5():
    files = {**scorm12_files(), "cmi5.xml": CMI5, "au1/index.html": "1", "au2.html": "2"}
    assert read_package(make_zip(files), "p.zip")[0].standard is PackageStandard.CMI5


def test_a_wrapping_folder_and_os_junk_are_dropped():
    files = {f"Brandschutz_SCORM/{p}": d for p, d in scorm12_files().items()}
    files["__MACOSX/Brandschutz_SCORM/._imsmanifest.xml"] = b"junk"
    files["Brandschutz_SCORM/.DS_Store"] = b"junk"
    spec, unpacked = read_package(make_zip(files), "packages/b.zip")
    assert "imsmanifest.xml" in unpacked and len(unpacked) == 4
    assert spec.items[0].href == "intro/index.html"


# --- Broken ZIPs: refused before anything else --------------------------------------


def test_not_a_zip_is_refused(ctx):
    (problem,) = problems_of(b"%PDF-1.4 not a zip")
    assert (problem.path, problem.code) == ("packages/p.zip", "package-not-a-zip")
    with force_locale("en"):
        assert problem.message() == "The package is not a ZIP file, or it is damaged."


def test_a_zip_without_a_manifest_is_refused(ctx):
    (problem,) = problems_of(make_zip({"index.html": "<html></html>"}))
    assert (problem.path, problem.code) == ("packages/p.zip", "package-no-manifest")
    with force_locale("en"):
        assert "imsmanifest.xml" in problem.message() and "cmi5.xml" in problem.message()


def test_a_manifest_deeper_than_one_wrapping_folder_is_not_found():
    data = make_zip({"a/b/imsmanifest.xml": SCORM12, "a/c.html": "x"})
    assert refused(data) == (("packages/p.zip", 0, "package-no-manifest"),)


@pytest.mark.parametrize("name", ["../x.html", "/etc/passwd", "C:/boot.ini", "a/../../x"])
def test_a_path_leaving_the_package_is_refused(name):
    files = scorm12_files()
    files[name] = "x"
    assert refused(make_zip(files)) == (("packages/p.zip", 0, "package-unsafe-path"),)


def test_too_many_files_are_refused_before_unpacking(ctx):
    files = scorm12_files()
    files.update({f"seiten/{n:04}.html": "" for n in range(5000)})
    (problem,) = problems_of(make_zip(files))
    assert problem.code == "package-too-many-files"
    with force_locale("en"):
        assert problem.message() == "The package contains more than 3000 files."


def test_a_declared_size_of_2_gb_is_refused_before_unpacking(ctx, monkeypatch):
    data = patch_central(make_zip(scorm12_files()), "bild.png", 24, "<I", 2 * 1024**3)
    monkeypatch.setattr(reading, "unpack", lambda *args: pytest.fail("nothing may be unpacked"))
    (problem,) = problems_of(data)
    assert problem.code == "package-too-large"
    with force_locale("en"):
        assert problem.message() == "The package is larger than 500 MB unpacked."


def test_bytes_are_counted_again_while_unpacking(monkeypatch):
    monkeypatch.setattr(reading, "check_sizes", lambda *args: None)
    monkeypatch.setattr(reading, "MAX_UNPACKED", 2000)
    files = scorm12_files()
    files["gross.bin"] = bytes(range(256)) * 10
    assert refused(make_zip(files)) == (("packages/p.zip", 0, "package-too-large"),)


def test_a_zip_bomb_is_refused():
    files = scorm12_files()
    files["video.mp4"] = bytes(5 * 1024 * 1024)
    assert refused(make_zip(files)) == (("packages/p.zip", 0, "package-compression-ratio"),)


def test_an_encrypted_entry_is_refused():
    data = make_zip(scorm12_files())
    patched = patch_central(data, "bild.png", 8, "<H", 0x1)
    assert refused(patched) == (("packages/p.zip", 0, "package-encrypted"),)


# --- Broken manifests: every problem at its line ----------------------------------------


def test_a_missing_launch_file_is_named_with_its_manifest_line(ctx):
    files = scorm12_files()
    del files["intro/index.html"]
    (problem,) = problems_of(make_zip(files))
    assert (problem.path, problem.line, problem.code) == (
        "imsmanifest.xml",
        27,
        "package-launch-missing",
    )
    assert problem.location() == "imsmanifest.xml:27"
    with force_locale("en"):
        assert (
            problem.message() == "The launch file intro/index.html of intro is not in the package."
        )
    with force_locale("de"):
        assert "intro/index.html" in problem.message()


def test_bad_xml_is_reported_at_its_line(ctx):
    manifest = SCORM12.replace("<title>Einführung</title>", "<title>Einführung</titel>")
    (problem,) = problems_of(make_zip(scorm12_files(manifest)))
    assert (problem.path, problem.line, problem.code) == ("imsmanifest.xml", 15, "package-xml")
    with force_locale("en"):
        assert "not well-formed XML" in problem.message()


def test_xml_entities_are_refused_unread():
    manifest = SCORM12.replace(
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY a "aaaaaaaaaa">]>\n',
    )
    assert refused(make_zip(scorm12_files(manifest))) == (
        ("imsmanifest.xml", 2, "package-xml-entities"),
    )


def test_every_manifest_problem_is_reported_not_only_the_first(ctx):
    manifest = (
        SCORM12.replace("<adlcp:masteryscore>80<", "<adlcp:masteryscore>achtzig<")
        .replace('identifierref="res-intro" parameters', 'identifierref="fehlt" parameters')
        .replace('<item identifier="bilder"', '<item identifier="test"')
    )
    assert refused(make_zip(scorm12_files(manifest))) == (
        ("imsmanifest.xml", 14, "package-missing-resource"),
        ("imsmanifest.xml", 20, "package-mastery-score-12"),
        ("imsmanifest.xml", 22, "package-duplicate-id"),
    )
    problems = problems_of(make_zip(scorm12_files(manifest)))
    with force_locale("en"):
        assert problems[1].message() == "adlcp:masteryscore achtzig is not a number from 0 to 100."
        assert problems[2].message() == "The id test is used twice (first in line 18)."


@pytest.mark.parametrize("score", ["101", "-1", "NaN"])
def test_a_mastery_score_outside_0_to_100_is_refused(score):
    manifest = SCORM12.replace("<adlcp:masteryscore>80<", f"<adlcp:masteryscore>{score}<")
    assert refused(make_zip(scorm12_files(manifest))) == (
        ("imsmanifest.xml", 20, "package-mastery-score-12"),
    )


def test_scorm_2004_measures_and_thresholds_out_of_range_are_refused():
    manifest = SCORM2004.replace('minProgressMeasure="0.75"', 'minProgressMeasure="1.5"').replace(
        "<imsss:minNormalizedMeasure>0.6<", "<imsss:minNormalizedMeasure>2<"
    )
    files = {
        "imsmanifest.xml": manifest,
        "content/lesen.html": "l",
        "content/test/pruefung.html": "p",
    }
    assert refused(make_zip(files)) == (
        ("imsmanifest.xml", 12, "package-completion-threshold"),
        ("imsmanifest.xml", 20, "package-min-measure"),
    )


def test_an_unknown_scorm_version_is_refused():
    manifest = (
        SCORM12.replace("<schemaversion>1.2<", "<schemaversion>1.1<")
        .replace("adlcp_rootv1p2", "adlcp")
        .replace("imscp_rootv1p1p2", "imscp")
    )
    assert refused(make_zip(scorm12_files(manifest))) == (
        ("imsmanifest.xml", 5, "package-scorm-version"),
    )


def test_a_manifest_without_a_sco_is_refused():
    manifest = SCORM12.replace('adlcp:scormtype="sco"', 'adlcp:scormtype="asset"')
    assert refused(make_zip(scorm12_files(manifest))) == (
        ("imsmanifest.xml", 10, "package-no-sco"),
    )
    empty = SCORM12.split("<organizations")[0] + "<organizations/><resources/></manifest>"
    assert refused(make_zip(scorm12_files(empty))) == (
        ("imsmanifest.xml", 2, "package-no-organization"),
    )


@pytest.mark.parametrize(
    ("href", "code"),
    [
        ("../../etc/passwd", "package-unsafe-href"),
        ("/index.html", "package-unsafe-href"),
        ("https://cdn.example.org/kurs/index.html", "package-remote-launch"),
    ],
)
def test_a_launch_href_outside_the_package_is_refused(href, code):
    manifest = SCORM12.replace('href="intro/index.html">', f'href="{href}">')
    assert refused(make_zip(scorm12_files(manifest))) == (("imsmanifest.xml", 27, code),)


def test_cmi5_problems_are_all_reported(ctx):
    structure = (
        CMI5.replace('moveOn="CompletedOrPassed"', 'moveOn="Bestanden"')
        .replace('masteryScore="0.8"', 'masteryScore="80"')
        .replace('launchMethod="OwnWindow"', 'launchMethod="Popup"')
        .replace("<url>au2.html</url>", "<url>https://lrs.example.org/au2.html</url>")
        .replace("stapler/au2", "stapler/au1")
    )
    files = {"cmi5.xml": structure, "au1/index.html": "1", "au2.html": "2"}
    problems = problems_of(make_zip(files))
    assert [(p.path, p.line, p.code) for p in problems] == [
        ("cmi5.xml", 7, "package-move-on"),
        ("cmi5.xml", 7, "package-mastery-score"),
        ("cmi5.xml", 7, "package-launch-method"),
        ("cmi5.xml", 17, "package-duplicate-id"),
        ("cmi5.xml", 20, "package-remote-launch"),
    ]
    with force_locale("en"):
        assert "Lernwerk plays only packages it holds" in problems[4].hint()
        assert problems[0].message() == (
            "moveOn Bestanden is not one of Passed, Completed, CompletedAndPassed, "
            "CompletedOrPassed, NotApplicable."
        )


def test_a_cmi5_course_without_aus_is_refused():
    structure = CMI5.split("<au ")[0] + "</courseStructure>\n"
    assert refused(make_zip({"cmi5.xml": structure})) == (("cmi5.xml", 2, "package-no-au"),)


def test_a_damaged_entry_is_refused():
    data = patch_central(make_zip(scorm12_files()), "bild.png", 24, "<I", 1)
    assert refused(data) == (("packages/p.zip", 0, "package-entry-unreadable"),)


def test_a_link_in_the_package_is_refused():
    link = zipfile.ZipInfo("intro/link.html")
    link.external_attr = 0o120777 << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in scorm12_files().items():
            archive.writestr(name, data)
        archive.writestr(link, "/etc/passwd")
    assert refused(buffer.getvalue()) == (("packages/p.zip", 0, "package-symlink"),)


def test_a_path_twice_is_refused():
    files = scorm12_files()
    files["Bild.PNG"] = b"other"
    assert refused(make_zip(files)) == (("packages/p.zip", 0, "package-duplicate-path"),)


def test_many_well_packed_files_together_are_a_zip_bomb():
    files = scorm12_files()
    files.update({f"leer/{n}.bin": bytes(600 * 1024) for n in range(4)})
    assert refused(make_zip(files)) == (("packages/p.zip", 0, "package-compression-ratio-total"),)


def test_an_au_without_url_is_refused(ctx):
    structure = CMI5.replace("<url>au2.html</url>", "")
    files = {"cmi5.xml": structure, "au1/index.html": "1"}
    (problem,) = problems_of(make_zip(files))
    assert (problem.line, problem.code) == (17, "package-missing-value")
    with force_locale("en"):
        assert problem.message() == "<au> has no <url>."


# Every package problem code some test here or in test_package_import.py produces.
PACKAGE_CODES = {
    "package-path",
    "package-file-missing",
    "package-problem",
    "package-items-differ",
    "package-not-a-zip",
    "package-entry-unreadable",
    "package-encrypted",
    "package-unsafe-path",
    "package-symlink",
    "package-duplicate-path",
    "package-too-many-files",
    "package-too-large",
    "package-compression-ratio",
    "package-compression-ratio-total",
    "package-no-manifest",
    "package-xml",
    "package-xml-entities",
    "package-scorm-version",
    "package-no-organization",
    "package-no-sco",
    "package-no-au",
    "package-missing-resource",
    "package-missing-value",
    "package-launch-missing",
    "package-unsafe-href",
    "package-remote-launch",
    "package-mastery-score-12",
    "package-min-measure",
    "package-completion-threshold",
    "package-move-on",
    "package-mastery-score",
    "package-launch-method",
    "package-duplicate-id",
}
