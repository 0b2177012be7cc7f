"""A local stand-in for the parts of the Gemini REST API that the google-genai client calls during
video moderation: resumable file upload, file status, generateContent and file deletion.

Each instance follows a scenario (what the next generateContent answers, whether the file ever
becomes ACTIVE) and logs every request, so tests can assert what the real client sent."""

import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from moderation.categories import CATEGORIES  # noqa: E402  (the platform's own taxonomy)


def well_formed_answer(**overrides) -> dict:
    answer = {
        "scores": {c: 0.01 for c in CATEGORIES},
        "verdict": "approve",
        "explanation": "Test patterns and a calm voice; nothing against the policy.",
        "timestamps": [],
        "suggested_categories": ["Comedy"],
    }
    answer.update(overrides)
    return answer


class FakeGemini:
    """`generate` is a list of steps consumed in order, the last one repeating: an int is an HTTP
    error status, a dict is a JSON answer, a str is raw model text (e.g. malformed JSON)."""

    def __init__(self, *, generate=None, file_states=("PROCESSING", "ACTIVE")):
        self.generate = list(generate or [well_formed_answer()])
        self.file_states = list(file_states)
        self.requests: list[tuple[str, str]] = []
        self.files: dict[str, dict] = {}
        self.deleted: list[str] = []
        self.uploaded_bytes = 0
        self.prompts: list[dict] = []
        self._sessions: dict[str, str] = {}
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def count(self, method: str, pattern: str) -> int:
        return sum(1 for m, p in self.requests if m == method and re.search(pattern, p))

    # --- request handling ---------------------------------------------------------------------
    def _next_generate(self):
        with self._lock:
            return self.generate.pop(0) if len(self.generate) > 1 else self.generate[0]

    def _file_state(self, name: str) -> str:
        with self._lock:
            record = self.files[name]
            polls = record["_polls"]
            record["_polls"] += 1
            return self.file_states[min(polls, len(self.file_states) - 1)]

    def _file_json(self, name: str, state: str) -> dict:
        record = self.files[name]
        return {
            "name": name,
            "displayName": record["displayName"],
            "mimeType": record["mimeType"],
            "sizeBytes": str(record["sizeBytes"]),
            "uri": f"{self.base_url}/v1beta/{name}",
            "state": state,
        }

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _send(self, status: int, payload=None, headers=None):
                data = json.dumps(payload if payload is not None else {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int):
                names = {408: "DEADLINE_EXCEEDED", 429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}
                error = {"code": status, "message": "fake error", "status": names.get(status, "INTERNAL")}
                self._send(status, {"error": error})

            def do_POST(self):
                path = self.path.split("?")[0]
                fake.requests.append(("POST", path))
                body = self._body()
                if re.fullmatch(r"/upload/v1\w*/files", path):
                    meta = json.loads(body or b"{}").get("file", {})
                    session = uuid.uuid4().hex
                    name = f"files/{uuid.uuid4().hex[:12]}"
                    fake.files[name] = {
                        "displayName": meta.get("displayName", ""),
                        "mimeType": self.headers.get("X-Goog-Upload-Header-Content-Type", "video/mp4"),
                        "sizeBytes": int(self.headers.get("X-Goog-Upload-Header-Content-Length") or 0),
                        "_polls": 0,
                    }
                    fake._sessions[session] = name
                    self._send(200, {}, {
                        "X-Goog-Upload-URL": f"{fake.base_url}/upload-session/{session}",
                        "X-Goog-Upload-Status": "active",
                    })  # fmt: skip
                    return
                match = re.fullmatch(r"/upload-session/(\w+)", path)
                if match:
                    name = fake._sessions[match.group(1)]
                    fake.uploaded_bytes += len(body)
                    command = self.headers.get("X-Goog-Upload-Command", "")
                    if "finalize" in command:
                        file_json = fake._file_json(name, "PROCESSING")
                        self._send(200, {"file": file_json}, {"X-Goog-Upload-Status": "final"})
                    else:
                        self._send(200, {}, {"X-Goog-Upload-Status": "active"})
                    return
                match = re.fullmatch(r"/v1\w*/models/([^/:]+):generateContent", path)
                if match:
                    fake.prompts.append(json.loads(body or b"{}"))
                    step = fake._next_generate()
                    if isinstance(step, int):
                        self._error(step)
                        return
                    text = step if isinstance(step, str) else json.dumps(step)
                    self._send(200, {
                        "candidates": [{
                            "content": {"role": "model", "parts": [{"text": text}]},
                            "finishReason": "STOP",
                        }],
                        "modelVersion": match.group(1),
                        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10, "totalTokenCount": 20},
                    })  # fmt: skip
                    return
                self._send(404, {"error": {"code": 404, "message": f"no route {path}", "status": "NOT_FOUND"}})

            def do_GET(self):
                path = self.path.split("?")[0]
                fake.requests.append(("GET", path))
                match = re.fullmatch(r"/v1\w*/(files/\w+)", path)
                if match and match.group(1) in fake.files:
                    name = match.group(1)
                    self._send(200, fake._file_json(name, fake._file_state(name)))
                    return
                self._send(404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}})

            def do_DELETE(self):
                path = self.path.split("?")[0]
                fake.requests.append(("DELETE", path))
                match = re.fullmatch(r"/v1\w*/(files/\w+)", path)
                if match and match.group(1) in fake.files:
                    fake.deleted.append(match.group(1))
                    self._send(200, {})
                    return
                self._send(404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}})

        return Handler
