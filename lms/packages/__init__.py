"""Bought content as units: SCORM 1.2, SCORM 2004 and cmi5 packages.

`reading` opens a package ZIP safely and describes it (`PackageSpec`), `storage`
keeps a course version's package files and hands them out again; the runtime,
the player pages and the cmi5 statement endpoint live next to them.
"""
