#!/usr/bin/env python3
"""The ops page in a real browser: headless Chromium (apt) driven over the DevTools protocol.

  python3 .ci/ops-page.py BINARY [SCREENSHOT_DIRECTORY]

Starts a demo gateway with an operator token, makes payouts of every outcome (processed, declined, waiting in
process_pending, reversed, waiting for /process), opens /ops/login, types the token into the form and submits it,
then checks each section's text on the overview and on one payout's page, takes screenshots, and fails on any
console error or uncaught exception. Needs chromium and the websocket-client package.
"""
import base64, json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request

import websocket

binary = sys.argv[1]
shots = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="ops-shots-")
os.makedirs(shots, exist_ok=True)
work = tempfile.mkdtemp(prefix="ops-page-")
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
token = "ops_" + base64.urlsafe_b64encode(os.urandom(18)).decode().rstrip("=")
failures = []


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


def wait(url, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            return urllib.request.urlopen(url, timeout=2).read()
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"no answer from {url}")


port = free_port()
env = dict(os.environ, PAYOUT_GATEWAY_ADMIN_TOKEN=token, PAYOUT_GATEWAY_LOG_LEVEL="warning")
gateway = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--routes", os.path.join(root, "routes.json"),
                            "--database", f"sqlite://{work}/gateway.sqlite", "--data-key-file", f"{work}/data.key"],
                           env=env, stdout=open(f"{work}/gateway.log", "w"), stderr=subprocess.STDOUT)
chrome = None
try:
    base = f"http://127.0.0.1:{port}"
    wait(base + "/health")
    auth = "Basic " + base64.b64encode(b"coma_DemoMerchant000001:demo_api_key_change_me").decode()
    ids = {}
    for name, amount, auto in [("processed", "10.00", True), ("declined", "10.13", True), ("pending", "10.14", True),
                               ("reversed", "10.16", True), ("waiting", "10.00", False)]:
        body = json.dumps({"data": {"type": "payout-invoice", "attributes": {
            "service": "card", "currency": "USD", "amount": float(amount), "reference_id": f"ops-{name}-{int(time.time())}",
            "fields": {"card_number": "4444333322221111"}, "options": {"auto_process": auto}}}}).encode()
        request = urllib.request.Request(base + "/api/payout-invoices", body, {"Authorization": auth, "Content-Type": "application/json"})
        ids[name] = json.loads(urllib.request.urlopen(request).read())["data"]["id"]
    time.sleep(4)  # the sandbox settles its outcomes

    debug_port = free_port()
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not browser:
        raise SystemExit("ops-page.py needs chromium (apt-get install -y chromium)")
    chrome = subprocess.Popen([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={work}/chrome",
                               f"--remote-debugging-port={debug_port}", "--window-size=1400,1800", "about:blank"],
                              stdout=subprocess.DEVNULL, stderr=open(f"{work}/chrome.log", "w"))
    wait(f"http://127.0.0.1:{debug_port}/json/version")
    pages = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{debug_port}/json/list").read())
    page = next(p for p in pages if p.get("type") == "page")
    ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
    counter = [0]
    errors = []

    def note(message):
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            errors.append("exception: " + json.dumps(params.get("exceptionDetails", {}))[:300])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append("console: " + json.dumps(params.get("args", []))[:300])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            errors.append("log: " + params["entry"].get("text", "")[:300])

    def call(method, **params):
        counter[0] += 1
        ws.send(json.dumps({"id": counter[0], "method": method, "params": params}))
        while True:
            message = json.loads(ws.recv())
            if message.get("id") == counter[0]:
                if "error" in message:
                    raise SystemExit(f"{method}: {message['error']}")
                return message.get("result", {})
            note(message)

    def wait_load(seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            message = json.loads(ws.recv())
            note(message)
            if message.get("method") == "Page.loadEventFired":
                return
        raise SystemExit("the page did not load")

    def text():
        return call("Runtime.evaluate", expression="document.body.innerText", returnByValue=True)["result"]["value"]

    def screenshot(name):
        data = call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path = os.path.join(shots, name)
        open(path, "wb").write(base64.b64decode(data))
        print(f"ok   screenshot {path}")

    for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
        call(domain)
    call("Page.navigate", url=base + "/ops")  # signed out: sent to the login form
    wait_load()
    if "Operator token" not in text():
        failures.append("/ops without a session did not show the login form")
    call("Runtime.evaluate", expression=f"document.getElementById('token').value = {json.dumps(token)}; document.forms[0].submit();")
    wait_load()
    overview = text()
    for section in ["Routing now", "Table version", "Providers", "Breaker", "Needs attention", "Waiting in process_pending",
                    "Webhooks that keep failing", "payelata", "card"]:
        if section not in overview:
            failures.append(f"the overview lacks '{section}'")
    if ids["pending"] not in overview:
        failures.append("the payout waiting in process_pending is not under Needs attention")
    if token in overview:
        failures.append("the token is on the page")
    screenshot("ops-overview.png")
    call("Page.navigate", url=base + "/ops/payouts")
    wait_load()
    listing = text()
    for name, payout in ids.items():
        if payout not in listing:
            failures.append(f"the {name} payout is not in the list")
    for status in ["processed", "process_failed", "process_pending", "canceled", "created"]:
        if status not in listing:
            failures.append(f"no payout shows {status} in the list")
    screenshot("ops-payouts.png")
    call("Page.navigate", url=base + f"/ops/payouts/{ids['reversed']}")
    wait_load()
    story = text()
    for part in ["Timeline", "status_changed", "Attempts", "Routing decision", "Webhooks"]:
        if part not in story:
            failures.append(f"the payout page lacks '{part}'")
    if "4444333322221111" in story:
        failures.append("the payout page shows the clear card number")
    screenshot("ops-payout.png")
    time.sleep(0.5)
    failures += errors
    ws.close()
finally:
    if chrome:
        chrome.terminate()
    gateway.terminate()
    try:
        gateway.wait(timeout=20)
    except subprocess.TimeoutExpired:
        gateway.kill()

for failure in failures:
    print("FAIL " + failure, file=sys.stderr)
if failures:
    print("--- gateway log (last lines)", file=sys.stderr)
    print("".join(open(f"{work}/gateway.log").readlines()[-20:]), file=sys.stderr)
    sys.exit(1)
print("ops-page.py: the ops page passed in Chromium (login, sections, payout page, no console errors)")
