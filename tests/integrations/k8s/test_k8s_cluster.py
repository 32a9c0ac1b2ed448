"""ClusterJobs: the four calls, made by the official client to an HTTP stand-in for the API.

No cluster runs here, so a small HTTP server answers the Kubernetes API paths the executor
uses, from data the test sets: the real client builds the requests, serializes the Job and
parses the answers, and `ClusterJobs` turns them into a `JobStatus`.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from headwater_k8s.cluster import ClusterJobs
from headwater_k8s.step_job import StepJobSettings, step_job_manifest

JOBS = "/apis/batch/v1/namespaces/data/jobs"
PODS = "/api/v1/namespaces/data/pods"


class FakeApi:
    """What the stand-in API server holds and was asked."""

    def __init__(self):
        self.jobs: dict[str, dict] = {}
        self.job_status: dict[str, dict] = {}
        self.pods: dict[str, list[dict]] = {}
        self.logs: dict[str, str] = {}
        self.requests: list[tuple[str, str, dict]] = []  # method, path, query and body
        self.kubeconfig = ""  # the kubeconfig file that points the client here


def _handler(api: FakeApi):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            return None

        def _send(self, code, body, content_type="application/json"):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method):
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            body = None
            if method in ("POST", "DELETE") and self.headers.get("Content-Length"):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            api.requests.append((method, url.path, {**query, "body": body}))
            if method == "POST" and url.path == JOBS:
                api.jobs[body["metadata"]["name"]] = body
                return self._send(201, body)
            if method == "GET" and url.path.startswith(JOBS + "/") and url.path.endswith("/status"):
                name = url.path.split("/")[-2]
                return self._send(200, {**api.jobs[name], "status": api.job_status.get(name, {})})
            if method == "DELETE" and url.path.startswith(JOBS + "/"):
                name = url.path.split("/")[-1]
                if api.jobs.pop(name, None) is None:
                    return self._send(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
                return self._send(200, {"kind": "Status", "status": "Success"})
            if method == "GET" and url.path == PODS:
                job = query["labelSelector"].removeprefix("job-name=")
                return self._send(200, {"kind": "PodList", "apiVersion": "v1",
                                        "metadata": {}, "items": api.pods.get(job, [])})
            if method == "GET" and url.path.startswith(PODS + "/") and url.path.endswith("/log"):
                return self._send(200, api.logs[url.path.split("/")[-2]].encode(), "text/plain")
            return self._send(404, {"kind": "Status", "code": 404})

        def do_GET(self):
            self._route("GET")

        def do_POST(self):
            self._route("POST")

        def do_DELETE(self):
            self._route("DELETE")

    return Handler


@pytest.fixture
def api(tmp_path):
    state = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "test", "cluster": {
            "server": f"http://127.0.0.1:{server.server_address[1]}"}}],
        "users": [{"name": "test", "user": {"token": "t"}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
    }))
    state.kubeconfig = str(kubeconfig)
    yield state
    server.shutdown()
    server.server_close()


def _pod(name, phase, waiting=None):
    status = {"phase": phase, "containerStatuses": [{
        "name": "headwater-step", "image": "img:1", "imageID": "", "ready": False,
        "restartCount": 0,
        "state": {"waiting": waiting} if waiting else {"running": {}}}]}
    return {"metadata": {"name": name, "creationTimestamp": "2026-01-01T00:00:00Z"},
            "status": status}


def test_the_four_calls_reach_the_api_as_kubernetes_expects(api):
    """Create posts the manifest; status folds Job and pod; logs read the pod's; delete
    removes the Job with its pods, and a Job gone already is fine."""
    jobs = ClusterJobs(load_incluster_config=False, kubeconfig_file=api.kubeconfig)
    manifest = step_job_manifest(StepJobSettings(image="img:1", namespace="data"), run_id="r1",
                                 job_name="nightly", step_key="load", args=["execute-step", "X"])
    name = manifest["metadata"]["name"]
    jobs.create_job("data", manifest)
    assert api.jobs[name] == manifest

    assert jobs.job_status("data", name).state == "PENDING"  # no pod yet
    api.pods[name] = [_pod(f"{name}-abcde", "Pending", {"reason": "ImagePullBackOff",
                                                         "message": "Back-off pulling image"})]
    stuck = jobs.job_status("data", name)
    assert (stuck.state, stuck.cannot_start) == ("PENDING", True)
    assert stuck.reason == "ImagePullBackOff: Back-off pulling image"
    api.pods[name] = [_pod(f"{name}-abcde", "Running")]
    assert jobs.job_status("data", name).state == "RUNNING"
    api.job_status[name] = {"failed": 1, "conditions": [{
        "type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
        "message": "Job has reached the specified backoff limit"}]}
    failed = jobs.job_status("data", name)
    assert (failed.state, failed.reason) == \
        ("FAILED", "BackoffLimitExceeded: Job has reached the specified backoff limit")
    api.job_status[name] = {"succeeded": 1}
    assert jobs.job_status("data", name).state == "SUCCEEDED"

    api.logs[f"{name}-abcde"] = "headwater-step-report {}\n"
    assert jobs.pod_logs("data", name) == "headwater-step-report {}\n"
    log_request = [r for r in api.requests if r[1].endswith("/log")][-1]
    assert log_request[2]["container"] == "headwater-step"

    jobs.delete_job("data", name)
    assert name not in api.jobs
    delete = [r for r in api.requests if r[0] == "DELETE"][-1]
    assert delete[2]["propagationPolicy"] == "Foreground"
    jobs.delete_job("data", name)  # 404: gone already
