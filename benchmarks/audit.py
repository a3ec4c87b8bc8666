"""Replays the outside audit of issue 14 against a real ``vanban serve``, so the next audit starts from it.

    .venv/bin/python benchmarks/audit.py [--data-dir DIR] [--examples 50] [--seed 1] [--skip-schemathesis]

1. Hostile requests, each of which must answer within ``--bound-s`` (default 2 s)
   with what the API promises: a JSON error body of the expected status and code
   (a 405 with its Allow header), or for the long and odd queries a 200; every
   answer with the security headers. The cases: ids outside the store's range,
   impossible dates, long and odd queries (1,000 characters, combining marks,
   emoji, NUL, broken UTF-8), out-of-range paging, wrong methods, path traversal
   in document ids and static files, uploads without the token, with a wrong one,
   too large, broken, of an unsupported type.
2. Afterwards a search still answers with results, the server is still up, and
   its log holds no traceback.
3. A bounded schemathesis run against ``/openapi.json`` (loopback only; the
   examples per operation and the seed are options; about half a minute with 50):
   no 500, no answer the schema does not describe (status, content type, headers,
   body), 405s with the right Allow, refusals of what the schema forbids. The one
   check left out is ``positive_data_acceptance``: some requests the schema allows
   are refused by rules JSON Schema cannot state (a date that does not exist,
   page x k past the results one may see, exactly one of q and passage_id); the
   parameters' descriptions state them. Writes are sent with the admin token, so
   uploads and deletes are exercised too: the server serves a copy of the index.

The index: the bundled samples, indexed into $VANBAN_HOME/bench/audit (incremental),
or ``--data-dir``; either is copied before it is served. Writes
benchmarks/results/audit.json; exits 1 when a case or schemathesis fails.
The same schemathesis run, shorter and over the hash encoder, is a test
(tests/test_hardening.py).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.query_cost import shapes  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "audit.json"
SECURITY_HEADERS = ("x-content-type-options", "x-frame-options", "content-security-policy", "referrer-policy")
# Every check schemathesis has but one (see the module's docstring).
SCHEMATHESIS_CHECKS = ["--checks", "all", "--exclude-checks", "positive_data_acceptance"]
PDF = "2023-12-bc-312-tinh-hinh-kt-xh-nam-2023.pdf"  # a sample document


@dataclass(frozen=True)
class Case:
    label: str
    method: str
    path: str  # sent as is: no normalisation of "..", no re-encoding
    expect: frozenset[int]
    code: str | None = None  # the error code expected, when one is
    allow: frozenset[str] | None = None  # the Allow header expected with a 405
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


def _q(text: str) -> str:
    return quote(text, safe="")


def _multipart(name: str, content: bytes, boundary: str = "vanban-audit") -> tuple[dict[str, str], bytes]:
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return {"Content-Type": f"multipart/form-data; boundary={boundary}"}, body


def cases(token: str) -> list[Case]:
    ok = frozenset({200})
    bad = frozenset({422})
    gone = frozenset({404})
    auth = {"Authorization": f"Bearer {token}"}
    out = [
        # 1. ids outside the store's range
        Case("passage id 2^63", "GET", "/api/passages/9223372036854775808/similar", bad, "invalid_parameter"),
        Case("passage id 2^64", "GET", "/api/passages/18446744073709551616/similar", bad, "invalid_parameter"),
        Case("passage id 10^40", "GET", "/api/passages/" + "1" + "0" * 40 + "/similar", bad, "invalid_parameter"),
        Case("passage id -1", "GET", "/api/passages/-1/similar", bad, "invalid_parameter"),
        Case("passage id not a number", "GET", "/api/passages/abc/similar", bad, "invalid_parameter"),
        Case("passage id 2^63-1", "GET", "/api/passages/9223372036854775807/similar", gone, "unknown_passage"),
        Case("recurring passage_id 2^63", "GET", "/api/shortcomings/recurring?passage_id=9223372036854775808", bad,
             "invalid_parameter"),
        Case("recurring passage_id 2^64", "GET", "/api/shortcomings/recurring?passage_id=18446744073709551616", bad,
             "invalid_parameter"),
        Case("recurring with neither q nor passage_id", "GET", "/api/shortcomings/recurring", bad, "invalid_parameter"),
        # 6. impossible dates
        Case("date_from 2024-02-30", "GET", "/api/search?q=b%C3%A3o&date_from=2024-02-30", bad, "invalid_parameter"),
        Case("date_to 2024-13-45", "GET", "/api/search?q=b%C3%A3o&date_to=2024-13-45", bad, "invalid_parameter"),
        Case("due_from 2024-99-99", "GET", "/api/tasks?due_from=2024-99-99", bad, "invalid_parameter"),
        Case("date_from of 40 zeros", "GET", "/api/search?q=x&date_from=" + "0" * 40, bad, "invalid_parameter"),
        Case("year 24", "GET", "/api/search?q=x&year=24", bad, "invalid_parameter"),
        # paging and modes
        Case("k=0", "GET", "/api/search?q=x&k=0", bad, "invalid_parameter"),
        Case("k=10^30", "GET", "/api/search?q=x&k=" + "1" + "0" * 30, bad, "invalid_parameter"),
        Case("page=10^30", "GET", "/api/search?q=x&page=" + "1" + "0" * 30, bad, "invalid_parameter"),
        Case("page x k past the results", "GET", "/api/search?q=x&k=50&page=5", bad, "bad_page"),
        Case("mode=magic", "GET", "/api/search?q=x&mode=magic", bad, "invalid_parameter"),
        # 10. long and odd queries
        Case("query of 1,001 characters", "GET", "/api/search?q=" + "a" * 1001, bad, "query_too_long"),
        Case("blank query", "GET", "/api/search?q=%20%09%20", bad, "empty_query"),
        Case("no query", "GET", "/api/search", bad, "invalid_parameter"),
        Case("NUL in the query", "GET", "/api/search?q=%00b%C3%A3o%00", ok),
        Case("broken UTF-8 in the query", "GET", "/api/search?q=%FF%FE%ED%A0%80", ok),
        Case("query syntax", "GET", "/api/search?q=" + _q('title:x AND ( "unclosed'), ok),
    ]
    for name, make in shapes().items():
        query = _q(make(0))
        out.append(Case(f"search: {name}", "GET", f"/api/search?q={query}", ok))
        if name in ("1,000 characters", "1,000 combining marks"):
            out += [Case(f"by document: {name}", "GET", f"/api/search?q={query}&group=document", ok),
                    Case(f"lookup: {name}", "GET", f"/api/lookup?q={query}", ok),
                    Case(f"tasks: {name}", "GET", f"/api/tasks?q={query}", ok),
                    Case(f"recurring: {name}", "GET", f"/api/shortcomings/recurring?q={query}", ok)]
    out += [
        # 9. wrong methods
        Case("POST /api/search", "POST", "/api/search?q=x", frozenset({405}), "method_not_allowed", frozenset({"GET"})),
        Case("PUT a document", "PUT", f"/api/documents/{PDF}", frozenset({405}), "method_not_allowed",
             frozenset({"GET", "DELETE"})),
        Case("DELETE a document's file", "DELETE", f"/api/documents/{PDF}/file", frozenset({405}), "method_not_allowed",
             frozenset({"GET"})),
        Case("DELETE /api/health", "DELETE", "/api/health", frozenset({405}), "method_not_allowed", frozenset({"GET"})),
        Case("PATCH the page", "PATCH", "/", frozenset({405}), "method_not_allowed", frozenset({"GET"})),
        Case("TRACE /api/stats", "TRACE", "/api/stats", frozenset({405}), "method_not_allowed", frozenset({"GET"})),
        # path traversal
        Case("document ../../etc/passwd", "GET", "/api/documents/../../etc/passwd", gone),
        Case("document file ..%2F..%2Fetc%2Fpasswd", "GET", "/api/documents/..%2F..%2Fetc%2Fpasswd/file", gone),
        Case("document file %2Fetc%2Fpasswd", "GET", "/api/documents/%2Fetc%2Fpasswd/file", gone),
        Case("document file past a real one", "GET", f"/api/documents/{PDF}/../../../../etc/passwd/file", gone),
        Case("static ../../etc/passwd", "GET", "/static/../../etc/passwd", gone),
        Case("static ..%2F..%2Fetc%2Fpasswd", "GET", "/static/..%2F..%2Fetc%2Fpasswd", gone),
        Case("static %2e%2e/%2e%2e/etc/passwd", "GET", "/static/%2e%2e/%2e%2e/etc/passwd", gone),
        Case("static ../../search_api/settings.py", "GET", "/static/../../search_api/settings.py", gone),
        # uploads and deletes without the right token
        Case("upload without a token", "POST", "/api/documents", frozenset({401}), "missing_token",
             *_upload("a.txt", b"UBND huyen Song May")),
        Case("upload with a wrong token", "POST", "/api/documents", frozenset({401}), "bad_token",
             *_upload("a.txt", b"UBND huyen Song May", {"Authorization": "Bearer wrong"})),
        Case("delete without a token", "DELETE", f"/api/documents/{PDF}", frozenset({401}), "missing_token"),
        Case("upload declaring 10^12 bytes", "POST", "/api/documents", frozenset({413}), "upload_too_large",
             headers={**auth, "Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(10**12)},
             body=b""),
        Case("upload of broken multipart data", "POST", "/api/documents", frozenset({400}), "bad_request",
             headers={**auth, "Content-Type": "multipart/form-data; boundary=xyz"}, body=b"--xyz\r\nFalse--xyz--\r\n"),
        Case("upload of an executable", "POST", "/api/documents", frozenset({415}), None,
             *_upload("tool.exe", b"MZ\x90\x00", auth)),
    ]
    return out


def _upload(name: str, content: bytes, extra: dict[str, str] | None = None) -> tuple[None, dict[str, str], bytes]:
    headers, body = _multipart(name, content)
    return None, {**headers, **(extra or {})}, body


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    ms: float


def send(base: str, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None,
         timeout: float = 30) -> Answer:
    """One request, sent as given (http.client does not touch the path)."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    t = time.perf_counter()
    try:
        if body is not None and headers and "Content-Length" in headers:
            # A declared length larger than the body: written by hand, since the
            # server must refuse it from the header alone.
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in headers.items():
                conn.putheader(k, v)
            conn.endheaders(body)
        else:
            conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return Answer(r.status, {k.lower(): v for k, v in r.getheaders()}, data, (time.perf_counter() - t) * 1000)
    finally:
        conn.close()


def check(case: Case, answer: Answer, bound_ms: float) -> list[str]:
    problems = []
    if answer.status not in case.expect:
        problems.append(f"status {answer.status}, expected {sorted(case.expect)}: {answer.body[:200]!r}")
    if answer.ms > bound_ms:
        problems.append(f"took {answer.ms:.0f} ms (bound {bound_ms:.0f})")
    missing = [h for h in SECURITY_HEADERS if h not in answer.headers]
    if missing:
        problems.append(f"no {', '.join(missing)}")
    if answer.status >= 400:
        try:
            error = json.loads(answer.body)["error"]
            if case.code and error["code"] != case.code:
                problems.append(f"code {error['code']!r}, expected {case.code!r}")
        except (ValueError, KeyError, TypeError):
            problems.append(f"not the JSON error body: {answer.headers.get('content-type')} {answer.body[:200]!r}")
    if case.allow is not None:
        allow = {m.strip() for m in answer.headers.get("allow", "").split(",") if m.strip()}
        if allow != case.allow:
            problems.append(f"Allow {sorted(allow)}, expected {sorted(case.allow)}")
    return problems


def replay(base: str, token: str, bound_s: float = 2.0) -> dict:
    """Every case against the server at ``base``, then a search that must still work."""
    send(base, "GET", "/api/search?q=kh%E1%BB%9Fi%20%C4%91%E1%BB%99ng")  # loads the query model: not a case
    rows, failures = [], []
    for case in cases(token):
        answer = send(base, case.method, case.path, case.headers, case.body)
        problems = check(case, answer, bound_s * 1000)
        rows.append({"case": case.label, "status": answer.status, "ms": round(answer.ms, 1), "problems": problems})
        if problems:
            failures.append(f"{case.label}: {'; '.join(problems)}")
    after = send(base, "GET", "/api/search?q=" + _q("giải phóng mặt bằng") + "&k=5")
    results = json.loads(after.body).get("results", []) if after.status == 200 else []
    if not results:
        failures.append(f"a search after the replay: status {after.status}, {len(results)} results")
    health = send(base, "GET", "/api/health")
    if health.status != 200:
        failures.append(f"/api/health after the replay: {health.status}")
    slowest = max(rows, key=lambda r: r["ms"])
    return {"cases": len(rows), "failures": failures, "slowest": slowest, "bound_s": bound_s, "answers": rows}


def schemathesis_command(base: str, examples: int, seed: int, token: str | None) -> list[str]:
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"{base}/openapi.json", *SCHEMATHESIS_CHECKS,
               "--max-examples", str(examples), "--seed", str(seed), "--workers", "1", "--request-timeout", "30",
               "--no-color"]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    return command


def run_schemathesis(base: str, examples: int, seed: int, token: str | None, timeout_s: float = 300) -> dict:
    """The bounded schemathesis run; in a scratch folder, where it keeps its state."""
    with tempfile.TemporaryDirectory() as scratch:
        t = time.perf_counter()
        try:
            done = subprocess.run(schemathesis_command(base, examples, seed, token), cwd=scratch, capture_output=True,
                                  text=True, timeout=timeout_s, env=dict(os.environ, NO_COLOR="1"))
            rc, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as exc:
            rc, output = -1, f"schemathesis ran past {timeout_s} s\n{exc.stdout or ''}"
    summary = output[output.rfind("=== SUMMARY") :] if "=== SUMMARY" in output else output[-3000:]
    return {"returncode": rc, "seconds": round(time.perf_counter() - t, 1), "examples_per_operation": examples,
            "seed": seed, "checks": " ".join(SCHEMATHESIS_CHECKS), "summary": summary.strip(), "output": output}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an index to serve (copied first); default: the samples")
    parser.add_argument("--bound-s", type=float, default=2.0, help="the longest a hostile request may take (s)")
    parser.add_argument("--examples", type=int, default=50, help="schemathesis examples per operation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-schemathesis", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    from search_api.benchmark import bench_dir, index_corpus, write_results
    from search_api.local_server import ServerError, served
    from search_api.settings import Settings

    settings = Settings.from_env()
    source = args.data_dir
    if source is None:
        source = bench_dir(settings, "audit")
        index_corpus([REPO / "corpus" / "samples"], source, settings)
    token = secrets.token_urlsafe(16)
    result: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        shutil.copytree(source, data_dir, ignore=shutil.ignore_patterns("LOCK", "*.lock"))
        log = Path(tmp) / "server.log"
        env = dict(os.environ, VANBAN_ADMIN_TOKEN=token)
        try:
            with served(data_dir, log, env=env) as (base, proc):
                result["replay"] = replay(base, token, args.bound_s)
                if not args.skip_schemathesis:
                    result["schemathesis"] = run_schemathesis(base, args.examples, args.seed, token)
                alive = proc.poll() is None
        except ServerError as exc:
            raise SystemExit(str(exc)) from exc
        server_log = log.read_text(encoding="utf-8", errors="replace")
    replayed = result["replay"]
    failures = list(replayed["failures"])
    if not alive:
        failures.append("the server died")
    if "Traceback" in server_log:
        failures.append("the server's log holds a traceback:\n" + server_log[server_log.find("Traceback"):][:3000])
    print(f"replay: {replayed['cases']} hostile requests, {len(replayed['failures'])} failed; slowest "
          f"{replayed['slowest']['case']!r} {replayed['slowest']['ms']} ms (bound {args.bound_s} s)")
    st = result.get("schemathesis")
    if st:
        print(f"schemathesis: exit {st['returncode']} in {st['seconds']} s\n{st['summary']}")
        if st["returncode"] != 0:
            failures.append("schemathesis found problems (see its output in the results file)")
    result["failures"] = failures
    write_results(args.out, result)
    for f in failures:
        print("FAILED", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
