#!/usr/bin/env python3
"""In-memory stand-in for Confluent Schema Registry, for tests. Standard library only.

    schema_registry.py --port 0 [--host 127.0.0.1] [--basic-auth USER:PASSWORD] [--bearer TOKEN]

Once listening it prints exactly one line, ``{"port": N}``, to stdout and flushes it; it then
serves until killed (SIGTERM/SIGINT). Nothing else goes to stdout (``--verbose`` logs requests
to stderr).

It implements the part of the documented REST API
(https://docs.confluent.io/platform/current/schema-registry/develop/api.html) that Confluent's
own serializers and deserializers use, with the registry's JSON shapes, its content type
``application/vnd.schemaregistry.v1+json`` and its error bodies
(``{"error_code": 40403, "message": "Schema 7 not found"}``):

    POST /subjects/{subject}/versions          register -> {"id": N}   (?normalize= accepted)
    POST /subjects/{subject}                   look a schema up under a subject
                                               -> {subject, id, version, schema[, schemaType][, references]}
    GET  /schemas/ids/{id}                     -> {"schema": ..[, "schemaType": ..][, "references": [..]]}
    GET  /schemas/ids/{id}/schema              the schema text itself
    GET  /schemas/ids/{id}/subjects            -> ["subject", ..]
    GET  /schemas/ids/{id}/versions            -> [{"subject": .., "version": ..}, ..]
    GET  /schemas/types                        -> ["JSON", "PROTOBUF", "AVRO"]
    GET  /subjects                             -> ["subject", ..]
    GET  /subjects/{subject}/versions          -> [1, 2, ..]
    GET  /subjects/{subject}/versions/{v}      v = N | latest | -1
                                               -> {subject, version, id, schema[, schemaType][, references]}
    GET  /subjects/{subject}/versions/{v}/schema
    GET  /subjects/{subject}/versions/{v}/referencedby -> [id, ..]
    GET|PUT /config, GET|PUT /config/{subject} {"compatibility": "..."}
    POST /compatibility/subjects/{subject}/versions[/{v}] -> {"is_compatible": true}
    GET  /associations/resources/{namespace}/{name} -> [] (no associations are ever stored;
                                               Confluent's Python serdes ask this first with
                                               their default AssociatedNameStrategy)

Subjects in paths are percent-decoded (``/`` in a subject arrives as ``%2F``). Query strings
(``normalize``, ``deleted``, ``subject``, ``fetchMaxId``, ...) are accepted and ignored, except
``format=serialized`` (see Protobuf below) and ``defaultToGlobal`` on GET /config/{subject}.

Registry semantics kept:
  * Schema ids are global and start at 1; the same (schemaType, schema text, references) gets
    the same id under any subject. Registering a schema a subject already has returns its
    existing id and adds no version.
  * schemaType defaults to AVRO and is left out of responses for AVRO, as Confluent does;
    ``references`` is left out when empty.
  * A schema is stored in a canonical text, as the real registry stores
    ``ParsedSchema.canonicalString()``: AVRO and JSON schemas are parsed as JSON and stored as
    compact JSON (``json.dumps(separators=(",", ":"))``, key order kept), so the same schema
    sent pretty-printed or compact gets one id. A schema that is not JSON -> 422/42201.
  * References must name a registered subject/version, or the schema is rejected (42201).
  * No compatibility checking: every new version is accepted, and the compatibility endpoint
    always answers true (after checking the subject/version exist).

Protobuf: the real registry parses a Protobuf schema and stores its ``.proto`` text rendering,
whether the client sent ``.proto`` text (the Java serializer) or a base64 serialized
FileDescriptorProto (Confluent's Python ProtobufSerializer does the latter); GET with
``?format=serialized`` answers the base64 FileDescriptorProto. This server cannot parse
Protobuf, so a client may teach it pairs first (test-only endpoint below); a registered or
looked-up PROTOBUF schema equal to a known base64 form is then stored as its ``.proto`` text,
and ``format=serialized`` answers the base64 form. Without a known pair the text is stored
as sent and ``format=serialized`` answers it unchanged.

Auth: with ``--basic-auth USER:PASSWORD`` every API request must carry
``Authorization: Basic base64(USER:PASSWORD)``; with ``--bearer TOKEN`` it must carry
``Authorization: Bearer TOKEN`` (with both, either is accepted). Otherwise: 401
``{"error_code": 401, "message": "Unauthorized"}``. The /__test__/ endpoints need no auth.

TEST-ONLY control endpoints (not part of Schema Registry's API):

    POST   /__test__/faults    JSON body; replaces the current fault, ``{}`` clears it.
             {"status": 500, "count": 2}      the next 2 matching requests answer 500 with a
                                              Confluent error body (error_code: 404 -> 40403,
                                              401 -> 401, 5xx -> 50001, else the status;
                                              "error_code"/"message" override it)
             {"garbage": true, "count": N}    answer 200 with a body that is not JSON
             {"delay_ms": N, "count": N}      sleep N ms first, then answer normally (or
                                              with the status/garbage also given)
             "count": -1 means forever; missing count means 1.
             Matching requests: method "GET" and path prefix "/schemas/ids/" by default;
             "method" and "path_prefix" change that (e.g. "/subjects/").
             -> {"ok": true}
    GET    /__test__/faults    the current fault, with the remaining count
    GET    /__test__/requests  JSON list of "METHOD PATH" strings for every API request
                               received so far, in order (raw, still percent-encoded path,
                               query string cut off; faulted and rejected requests included;
                               /__test__/ requests left out). ``?full=1`` keeps query strings.
    DELETE /__test__/requests  clear that list
    POST   /__test__/protobuf-texts  {"<base64 FileDescriptorProto>": "<.proto text>", ...}
                               teach base64 <-> .proto pairs (see Protobuf above)
    GET    /__test__/state     dump of subjects, versions and schemas (for debugging)
"""

import argparse
import base64
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
SCHEMA_TYPES = ("AVRO", "PROTOBUF", "JSON")
COMPAT_LEVELS = (
    "NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL",
    "FULL_TRANSITIVE",
)


class ApiError(Exception):
    def __init__(self, status, error_code, message):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message


def subject_not_found(subject):
    return ApiError(404, 40401, "Subject '%s' not found." % subject)


def version_not_found(version):
    return ApiError(404, 40402, "Version %s not found." % version)


def schema_not_found(schema_id=None):
    if schema_id is None:
        return ApiError(404, 40403, "Schema not found")
    return ApiError(404, 40403, "Schema %s not found" % schema_id)


def invalid_schema(detail):
    return ApiError(422, 42201, "Invalid schema: %s" % detail)


AVRO_PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")


def avro_collapse_primitives(node):
    """{"type": "string"} -> "string", anywhere in an Avro schema, as Avro Java's
    Schema.toString() prints a primitive without properties (Confluent's Python AvroSerializer
    sends a top-level primitive schema as {"type": "string"})."""
    if isinstance(node, list):
        return [avro_collapse_primitives(x) for x in node]
    if isinstance(node, dict):
        if len(node) == 1 and node.get("type") in AVRO_PRIMITIVES:
            return node["type"]
        return {k: avro_collapse_primitives(v) if k in ("type", "items", "values", "fields") else v
                for k, v in node.items()}
    return node


class Registry:
    """All registry state, behind one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.next_id = 1
        self.schemas = {}       # id -> {"type", "schema", "references": [dict], "serialized"}
        self.ids_by_key = {}    # (type, schema, refs tuple) -> id
        self.subjects = {}      # subject -> list of ids; version = index + 1
        self.global_compat = "BACKWARD"
        self.subject_compat = {}
        self.proto_text_by_b64 = {}
        self.requests = []
        self.fault = None

    # -- helpers (call with the lock held) --

    @staticmethod
    def _refs_key(refs):
        return tuple((r["name"], r["subject"], r["version"]) for r in refs)

    def _canonical(self, schema_type, text):
        if schema_type in ("AVRO", "JSON"):
            try:
                parsed = json.loads(text)
            except ValueError as e:
                raise invalid_schema("%s schema is not JSON: %s" % (schema_type, e))
            if schema_type == "JSON" and not isinstance(parsed, (dict, bool)):
                raise invalid_schema("a JSON schema must be an object or a boolean")
            if schema_type == "AVRO" and not isinstance(parsed, (dict, list, str)):
                raise invalid_schema("an Avro schema must be a JSON object, array or string")
            if schema_type == "AVRO":
                parsed = avro_collapse_primitives(parsed)
            return json.dumps(parsed, separators=(",", ":"), ensure_ascii=False), None
        # PROTOBUF
        if not text.strip():
            raise invalid_schema("empty Protobuf schema")
        stripped = "".join(text.split())
        if stripped in self.proto_text_by_b64:
            return self.proto_text_by_b64[stripped], stripped
        return text, None

    def _parse_request(self, body):
        if not isinstance(body, dict):
            raise ApiError(422, 422, "Unprocessable entity: body must be a JSON object")
        text = body.get("schema")
        if not isinstance(text, str):
            raise ApiError(422, 42201, "Invalid schema: the 'schema' field is required")
        schema_type = body.get("schemaType") or "AVRO"
        if schema_type not in SCHEMA_TYPES:
            raise ApiError(422, 42201, "Invalid schema type %s" % schema_type)
        refs = []
        for r in body.get("references") or []:
            if not isinstance(r, dict) or not all(k in r for k in ("name", "subject", "version")):
                raise invalid_schema("a reference needs name, subject and version")
            version = r["version"]
            refs.append({"name": r["name"], "subject": r["subject"], "version": version})
        canonical, serialized = self._canonical(schema_type, text)
        return schema_type, canonical, refs, serialized

    def _check_refs(self, refs):
        for r in refs:
            versions = self.subjects.get(r["subject"])
            version = r["version"]
            if version == -1 and versions:
                continue
            if not versions or not isinstance(version, int) or not 1 <= version <= len(versions):
                raise invalid_schema(
                    "reference %s: subject '%s' version %s not found"
                    % (r["name"], r["subject"], version)
                )

    def _version_index(self, subject, version):
        versions = self.subjects.get(subject)
        if not versions:
            raise subject_not_found(subject)
        if version in ("latest", "-1"):
            return len(versions)
        try:
            n = int(version)
        except ValueError:
            raise ApiError(
                422, 42202,
                "The specified version '%s' is not a valid version id. Allowed values are "
                "between [1, 2^31-1] and the string \"latest\"" % version,
            )
        if not 1 <= n <= len(versions):
            raise version_not_found(n)
        return n

    def _schema_fields(self, schema_id, fmt=None):
        s = self.schemas[schema_id]
        text = s["schema"]
        if fmt == "serialized" and s["type"] == "PROTOBUF" and s["serialized"]:
            text = s["serialized"]
        out = {"schema": text}
        if s["type"] != "AVRO":
            out["schemaType"] = s["type"]
        if s["references"]:
            out["references"] = [dict(r) for r in s["references"]]
        return out

    def _subject_version(self, subject, version, schema_id, fmt=None):
        out = {"subject": subject, "version": version, "id": schema_id}
        out.update(self._schema_fields(schema_id, fmt))
        return out

    # -- operations --

    def register(self, subject, body):
        with self.lock:
            schema_type, canonical, refs, serialized = self._parse_request(body)
            self._check_refs(refs)
            key = (schema_type, canonical, self._refs_key(refs))
            schema_id = self.ids_by_key.get(key)
            if schema_id is None:
                schema_id = self.next_id
                self.next_id += 1
                self.ids_by_key[key] = schema_id
                self.schemas[schema_id] = {
                    "type": schema_type, "schema": canonical, "references": refs,
                    "serialized": serialized,
                }
            elif serialized and not self.schemas[schema_id]["serialized"]:
                self.schemas[schema_id]["serialized"] = serialized
            versions = self.subjects.setdefault(subject, [])
            if schema_id not in versions:
                versions.append(schema_id)
            return {"id": schema_id}

    def lookup(self, subject, body):
        with self.lock:
            if subject not in self.subjects:
                raise subject_not_found(subject)
            schema_type, canonical, refs, _ = self._parse_request(body)
            schema_id = self.ids_by_key.get((schema_type, canonical, self._refs_key(refs)))
            versions = self.subjects[subject]
            if schema_id is None or schema_id not in versions:
                raise schema_not_found()
            return self._subject_version(subject, versions.index(schema_id) + 1, schema_id)

    def get_schema(self, schema_id, fmt=None):
        with self.lock:
            try:
                n = int(schema_id)
            except ValueError:
                raise schema_not_found(schema_id)
            if n not in self.schemas:
                raise schema_not_found(n)
            return self._schema_fields(n, fmt)

    def schema_subjects(self, schema_id):
        with self.lock:
            n = self._int_id(schema_id)
            return [s for s, ids in self.subjects.items() if n in ids]

    def schema_versions(self, schema_id):
        with self.lock:
            n = self._int_id(schema_id)
            return [
                {"subject": s, "version": ids.index(n) + 1}
                for s, ids in self.subjects.items() if n in ids
            ]

    def _int_id(self, schema_id):
        try:
            n = int(schema_id)
        except ValueError:
            raise schema_not_found(schema_id)
        if n not in self.schemas:
            raise schema_not_found(n)
        return n

    def list_subjects(self):
        with self.lock:
            return sorted(self.subjects)

    def list_versions(self, subject):
        with self.lock:
            versions = self.subjects.get(subject)
            if not versions:
                raise subject_not_found(subject)
            return list(range(1, len(versions) + 1))

    def get_version(self, subject, version, fmt=None):
        with self.lock:
            n = self._version_index(subject, version)
            return self._subject_version(subject, n, self.subjects[subject][n - 1], fmt)

    def referenced_by(self, subject, version):
        with self.lock:
            n = self._version_index(subject, version)
            out = []
            for schema_id, s in sorted(self.schemas.items()):
                for r in s["references"]:
                    v = r["version"]
                    if r["subject"] == subject and (v == n or (v == -1 and n == len(self.subjects[subject]))):
                        out.append(schema_id)
                        break
            return out

    def get_config(self, subject=None, default_to_global=False):
        with self.lock:
            if subject is None:
                return {"compatibilityLevel": self.global_compat}
            if subject in self.subject_compat:
                return {"compatibilityLevel": self.subject_compat[subject]}
            if default_to_global:
                return {"compatibilityLevel": self.global_compat}
            raise ApiError(
                404, 40408,
                "Subject '%s' does not have subject-level compatibility configured" % subject,
            )

    def put_config(self, subject, body):
        level = body.get("compatibility") if isinstance(body, dict) else None
        if not isinstance(level, str) or level.upper() not in COMPAT_LEVELS:
            raise ApiError(422, 42203, "Invalid compatibility level. Valid values are none, "
                           "backward, forward, full, backward_transitive, forward_transitive, "
                           "and full_transitive")
        with self.lock:
            if subject is None:
                self.global_compat = level.upper()
            else:
                self.subject_compat[subject] = level.upper()
            return {"compatibility": level.upper()}

    def compatibility(self, subject, version, body):
        with self.lock:
            self._parse_request(body)
            if version is not None and not (version in ("latest", "-1") and subject not in self.subjects):
                self._version_index(subject, version)
            return {"is_compatible": True}

    def learn_proto_texts(self, body):
        if not isinstance(body, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in body.items()
        ):
            raise ApiError(400, 400, "expected an object of base64 -> .proto text")
        with self.lock:
            for b64, text in body.items():
                self.proto_text_by_b64["".join(b64.split())] = text
            return {"ok": True, "known": len(self.proto_text_by_b64)}

    def state(self):
        with self.lock:
            return {
                "subjects": {s: list(ids) for s, ids in self.subjects.items()},
                "schemas": {str(k): dict(v) for k, v in self.schemas.items()},
                "config": {"global": self.global_compat, "subjects": dict(self.subject_compat)},
            }

    # -- test-only: request log and faults --

    def log_request(self, method, raw_path):
        with self.lock:
            self.requests.append((method, raw_path))

    def get_requests(self, full):
        with self.lock:
            return [
                "%s %s" % (m, p if full else p.split("?", 1)[0]) for m, p in self.requests
            ]

    def clear_requests(self):
        with self.lock:
            self.requests = []

    def set_fault(self, body):
        if not isinstance(body, dict):
            raise ApiError(400, 400, "fault must be a JSON object")
        with self.lock:
            if not body:
                self.fault = None
                return {"ok": True}
            fault = {
                "status": body.get("status"),
                "garbage": bool(body.get("garbage", False)),
                "delay_ms": int(body.get("delay_ms", 0) or 0),
                "count": int(body.get("count", 1)),
                "method": str(body.get("method", "GET")).upper(),
                "path_prefix": str(body.get("path_prefix", "/schemas/ids/")),
                "error_code": body.get("error_code"),
                "message": body.get("message"),
            }
            if fault["status"] is not None:
                fault["status"] = int(fault["status"])
            self.fault = fault if fault["count"] != 0 else None
            return {"ok": True}

    def get_fault(self):
        with self.lock:
            return dict(self.fault) if self.fault else {}

    def take_fault(self, method, path):
        """The fault to apply to this request, if any (consumes one count)."""
        with self.lock:
            f = self.fault
            if not f or method != f["method"] or not path.startswith(f["path_prefix"]):
                return None
            if f["count"] > 0:
                f["count"] -= 1
                if f["count"] == 0:
                    self.fault = None
            return dict(f)


def fault_error_code(status):
    if status == 404:
        return 40403
    if 500 <= status <= 599:
        return 50001
    return status


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One buffered write per response (flushed by handle_one_request) and no Nagle: keep-alive
    # clients would otherwise wait out delayed ACKs between the header and body segments.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    server_version = "FakeSchemaRegistry/1.0"
    registry = None          # set by main()
    basic_auth = None        # expected "Basic ..." header value, or None
    bearer = None            # expected "Bearer ..." header value, or None
    verbose = False

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("schema_registry: %s\n" % (fmt % args))

    # -- plumbing --

    def _send(self, status, payload=None, raw=None, extra_headers=None):
        if raw is None:
            raw = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(raw)

    def _error(self, status, error_code, message, extra_headers=None):
        self._send(status, {"error_code": error_code, "message": message},
                   extra_headers=extra_headers)

    def _read_body_bytes(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    @staticmethod
    def _parse_body(data):
        if not data:
            return None
        try:
            return json.loads(data.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise ApiError(400, 400, "Unexpected character in JSON body: %s" % e)

    def _authorized(self):
        if self.basic_auth is None and self.bearer is None:
            return True
        got = (self.headers.get("Authorization") or "").strip()
        if self.basic_auth is not None and got == self.basic_auth:
            return True
        if self.bearer is not None and got == self.bearer:
            return True
        return False

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method):
        raw_path = self.path
        path, _, query_string = raw_path.partition("?")
        query = urllib.parse.parse_qs(query_string)
        reg = self.registry
        try:
            # The whole body is read before anything can fail, so a keep-alive connection
            # stays in step whatever the answer.
            data = self._read_body_bytes()
        except (ValueError, OSError):
            self.close_connection = True
            return self._error(400, 400, "Bad request body")
        try:
            if path.startswith("/__test__/"):
                return self._test_endpoint(method, path, query, self._parse_body(data))

            reg.log_request(method, raw_path)
            if not self._authorized():
                challenge = {}
                if self.basic_auth is not None:
                    challenge["WWW-Authenticate"] = 'Basic realm="SchemaRegistry"'
                elif self.bearer is not None:
                    challenge["WWW-Authenticate"] = "Bearer"
                return self._error(401, 401, "Unauthorized", challenge)

            fault = reg.take_fault(method, path)
            if fault:
                if fault["delay_ms"] > 0:
                    time.sleep(fault["delay_ms"] / 1000.0)
                if fault["garbage"]:
                    return self._send(200, raw=b"<html><body>not json {{{</body></html>")
                if fault["status"] is not None:
                    status = fault["status"]
                    code = fault["error_code"]
                    if code is None:
                        code = fault_error_code(status)
                    message = fault["message"] or "Injected fault: HTTP %d" % status
                    return self._error(status, code, message)

            body = self._parse_body(data)
            segments = [urllib.parse.unquote(s) for s in path.split("/")[1:]]
            if segments and segments[-1] == "":
                segments = segments[:-1]
            fmt = (query.get("format") or [None])[0]
            result = self._route(method, segments, query, body, fmt)
            if isinstance(result, tuple) and result[0] == "raw":
                return self._send(200, raw=result[1].encode("utf-8"))
            return self._send(200, result)
        except ApiError as e:
            return self._error(e.status, e.error_code, e.message)
        except Exception as e:  # a bug here must still answer, as the real server's 500 does
            return self._error(500, 50001, "Internal Server Error: %s: %s" % (type(e).__name__, e))

    def _route(self, method, seg, query, body, fmt):
        reg = self.registry
        n = len(seg)
        not_allowed = ApiError(405, 405, "HTTP 405 Method Not Allowed")
        if n >= 1 and seg[0] == "schemas":
            if n == 2 and seg[1] == "types":
                if method != "GET":
                    raise not_allowed
                return ["JSON", "PROTOBUF", "AVRO"]
            if n >= 3 and seg[1] == "ids":
                if method != "GET":
                    raise not_allowed
                if n == 3:
                    return reg.get_schema(seg[2], fmt)
                if n == 4 and seg[3] == "schema":
                    return ("raw", reg.get_schema(seg[2], fmt)["schema"])
                if n == 4 and seg[3] == "subjects":
                    return reg.schema_subjects(seg[2])
                if n == 4 and seg[3] == "versions":
                    return reg.schema_versions(seg[2])
        elif n >= 1 and seg[0] == "subjects":
            if n == 1:
                if method != "GET":
                    raise not_allowed
                return reg.list_subjects()
            subject = seg[1]
            if n == 2:
                if method == "POST":
                    return reg.lookup(subject, body)
                if method == "GET":
                    return reg.list_versions(subject)
                raise not_allowed
            if seg[2] == "versions":
                if n == 3:
                    if method == "POST":
                        return reg.register(subject, body)
                    if method == "GET":
                        return reg.list_versions(subject)
                    raise not_allowed
                if method != "GET":
                    raise not_allowed
                if n == 4:
                    return reg.get_version(subject, seg[3], fmt)
                if n == 5 and seg[4] == "schema":
                    return ("raw", reg.get_version(subject, seg[3], fmt)["schema"])
                if n == 5 and seg[4] == "referencedby":
                    return reg.referenced_by(subject, seg[3])
        elif n >= 1 and seg[0] == "config":
            subject = seg[1] if n == 2 else None
            if n <= 2:
                if method == "GET":
                    default_to_global = (query.get("defaultToGlobal") or ["false"])[0] == "true"
                    return reg.get_config(subject, default_to_global)
                if method == "PUT":
                    return reg.put_config(subject, body)
                raise not_allowed
        elif n == 4 and seg[0] == "associations" and seg[1] == "resources":
            if method != "GET":
                raise not_allowed
            return []
        elif n >= 4 and seg[0] == "compatibility" and seg[1] == "subjects" and seg[3] == "versions":
            if method != "POST":
                raise not_allowed
            if n == 4:
                return reg.compatibility(seg[2], None, body)
            if n == 5:
                return reg.compatibility(seg[2], seg[4], body)
        raise ApiError(404, 404, "HTTP 404 Not Found")

    def _test_endpoint(self, method, path, query, body):
        reg = self.registry
        if path == "/__test__/faults":
            if method == "POST":
                return self._send(200, reg.set_fault(body if body is not None else {}))
            if method == "GET":
                return self._send(200, reg.get_fault())
        elif path == "/__test__/requests":
            if method == "GET":
                full = (query.get("full") or ["0"])[0] not in ("0", "false", "")
                return self._send(200, reg.get_requests(full))
            if method == "DELETE":
                reg.clear_requests()
                return self._send(200, {"ok": True})
        elif path == "/__test__/protobuf-texts":
            if method == "POST":
                return self._send(200, reg.learn_proto_texts(body))
        elif path == "/__test__/state":
            if method == "GET":
                return self._send(200, reg.state())
        raise ApiError(404, 404, "HTTP 404 Not Found")


def main(argv=None):
    head, _, rest = __doc__.partition("\n\n")
    p = argparse.ArgumentParser(description=head, epilog=rest,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--basic-auth", metavar="USER:PASSWORD")
    p.add_argument("--bearer", metavar="TOKEN")
    p.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = p.parse_args(argv)

    Handler.registry = Registry()
    if args.basic_auth is not None:
        if ":" not in args.basic_auth:
            p.error("--basic-auth takes USER:PASSWORD")
        Handler.basic_auth = "Basic " + base64.b64encode(args.basic_auth.encode("utf-8")).decode("ascii")
    if args.bearer is not None:
        Handler.bearer = "Bearer " + args.bearer
    Handler.verbose = args.verbose

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    sys.stdout.write(json.dumps({"port": server.server_address[1]}) + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
