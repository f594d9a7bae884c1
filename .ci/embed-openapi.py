#!/usr/bin/env python3
"""Writes Sources/PayoutGateway/Front/OpenAPIDocument.swift from the committed openapi.json (the document the
gateway serves at /openapi.json). Run it after editing openapi.json; OpenAPIDocumentTests fails while they differ."""
import json, os
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
doc = open(os.path.join(root, "openapi.json")).read()
json.loads(doc)
assert '"##' not in doc
swift = ("/// The merchant API's OpenAPI 3.1 document, served at `/openapi.json`. The committed `openapi.json` at the\n"
         "/// repository's top is the same document: edit that file and run `python3 .ci/embed-openapi.py`\n"
         "/// (OpenAPIDocumentTests fails while they differ).\n"
         "enum OpenAPIDocument {\n    static let json = ##\"\"\"\n" + doc.rstrip("\n") + "\n\"\"\"##\n}\n")
open(os.path.join(root, "Sources", "PayoutGateway", "Front", "OpenAPIDocument.swift"), "w").write(swift)
print("OpenAPIDocument.swift written")
