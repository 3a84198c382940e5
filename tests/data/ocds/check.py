"""Checks Portico's OCDS packages with the standard's own tools.

Every JSON file in the directory given is a release package or a record
package. Each is checked by libcoveocds (the schema, the closed codelists
and the additional checks), and each record's compiledRelease and
versionedRelease are compared, as canonical JSON, with what ocdsmerge
makes of the record's releases.

Neither tool ships the standard's schema, and both would download it. The
OCDS 1.1.5 schemas come from the test fixtures of two pinned sdists
(ocdsextensionregistry, ocdskit) that .ci installs beside the tools; the
versioned release schema is generated from the release schema, and the
closed codelists from its enums. They are laid out as the standard's
repository is, in a ZIP that libcoveocds reads instead of the network.

Fields beyond the schema are allowed only where they are the lots and
enquiries extensions' (the packages do not declare the extensions: it
would make libcoveocds download them).

Prints a JSON object: the packages and records checked, and every problem.
"""

import csv
import io
import json
import os
import sys
import tarfile
import zipfile
from pathlib import Path

import jsonref
from libcoveocds.api import ocds_json_output
from libcoveocds.config import LibCoveOCDSConfig
from ocdsextensionregistry.versioned_release_schema import get_versioned_release_schema
from ocdsmerge import Merger

TAG = "1__1__5"
# The fields of the OCDS lots and enquiries extensions Portico publishes:
# (the object they are in, the field).
EXTENSION_FIELDS = {("tender", "lots"), ("awards", "relatedLots"), ("tender", "enquiries")}


def fixture(sdist_prefix, path):
    """A JSON file of a pinned sdist's test fixtures."""
    sdists = Path(os.environ.get("OCDS_SDISTS") or Path(sys.prefix) / "sdists")
    (archive,) = sdists.glob(f"{sdist_prefix}-*.tar.gz")
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if member.name.endswith(path) and member.name.count("/") == path.count("/") + 1:
                return json.load(tar.extractfile(member))
    raise SystemExit(f"{path} is not in {archive}")


def closed_codelists(schema):
    """The closed codelists of the schema, by file name, from their enums."""
    found = {}

    def walk(node):
        if isinstance(node, dict):
            if "codelist" in node and not node.get("openCodelist"):
                enum = node.get("enum") or node.get("items", {}).get("enum") or []
                found[node["codelist"]] = [code for code in enum if code is not None]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


def standard_zip(release_schema):
    release_package = fixture("ocdskit", "tests/fixtures/release-package-schema.json")
    record_package = fixture("ocdskit", "tests/fixtures/a/record-package-schema-dereferenced.json")
    versioned = get_versioned_release_schema(release_schema, TAG)
    # The fixture is dereferenced; the standard's file names its record a
    # definition, which libcoveocds patches. The versioned release stays
    # inline: libcoveocds would resolve a reference to it on the network.
    record = record_package["properties"]["records"]["items"]
    release_ref = {"$ref": f"https://standard.open-contracting.org/schema/{TAG}/release-schema.json"}
    record["properties"]["compiledRelease"] = release_ref
    record["properties"]["releases"]["oneOf"][1]["items"] = release_ref
    record["properties"]["versionedRelease"] = jsonref.replace_refs(versioned, proxies=False, lazy_load=False)
    record_package["definitions"] = {"record": record}
    record_package["properties"]["records"]["items"] = {"$ref": "#/definitions/record"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        # The first entry is the repository's folder, as in GitHub's ZIPs.
        z.writestr(f"standard-{TAG}/", "")
        root = f"standard-{TAG}/schema/"
        z.writestr(root, "")
        z.writestr(root + "release-schema.json", json.dumps(release_schema))
        z.writestr(root + "release-package-schema.json", json.dumps(release_package))
        z.writestr(root + "record-package-schema.json", json.dumps(record_package))
        z.writestr(root + "versioned-release-validation-schema.json", json.dumps(versioned))
        for name, codes in closed_codelists(release_schema).items():
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["Code", "Title", "Description"])
            for code in codes:
                writer.writerow([code, code, ""])
            z.writestr(root + "codelists/" + name, out.getvalue())
    return buffer.getvalue()


def canonical(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def main(directory):
    release_schema = fixture("ocdsextensionregistry", "tests/fixtures/release-schema.json")
    config = LibCoveOCDSConfig()
    config.config["context"] = "api"
    config.config["standard_zip"] = standard_zip(release_schema)
    merger = Merger(schema=release_schema)
    problems = []
    packages = records = releases = 0
    for path in sorted(Path(directory).glob("*.json")):
        data = json.loads(path.read_text())
        packages += 1
        result = ocds_json_output(json_data=data, lib_cove_ocds_config=config)
        for key in ("validation_errors", "additional_closed_codelist_values", "additional_checks", "deprecated_fields"):
            if result.get(key):
                problems.append({"file": path.name, key: result[key]})
        # Beyond the schema, only the lots and enquiries extensions' fields.
        for extra in result.get("additional_fields") or []:
            if (extra["path"].rsplit("/", 1)[-1], extra["field"]) not in EXTENSION_FIELDS:
                problems.append({"file": path.name, "additional_field": extra})
        releases += len(data.get("releases", []))
        for record in data.get("records", []):
            records += 1
            ours = record["releases"]
            for key, theirs in (
                ("compiledRelease", merger.create_compiled_release(ours)),
                ("versionedRelease", merger.create_versioned_release(ours)),
            ):
                if canonical(record[key]) != canonical(theirs):
                    problems.append(
                        {"file": path.name, "ocid": record["ocid"], key: "differs", "ocdsmerge": theirs, "portico": record[key]}
                    )
    print(json.dumps({"packages": packages, "records": records, "releases": releases, "problems": problems}))


if __name__ == "__main__":
    main(sys.argv[1])
