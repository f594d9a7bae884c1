#!/usr/bin/env python3
"""Checks deploy/ without a container engine (CI runs it; so can you).

  python3 deploy/check.py --binary .build/debug/payout-gateway --postgres postgres://USER@127.0.0.1:PORT/postgres

1. Every file parses: compose.yaml and kubernetes/*.yaml (YAML), compose/routes.json (JSON, and the gateway's own
   `routes check`), the Dockerfile (instructions known, multi-stage, a non-root USER).
2. The Kubernetes manifests validate against the Kubernetes schemas (kubernetes-validate, offline, strict).
3. `systemd-analyze verify` passes for the unit, with no warning.
4. Every environment variable the files set for the gateway (PAYOUT_*) is one the gateway reads.
5. The Prometheus alert rules and the Grafana dashboard parse (and pass `promtool check rules` when promtool is
   installed), and every metric their expressions name is exported by the gateways of step 6 after a payout.
6. compose.yaml's services run as local processes with the commands and environment it gives them (PostgreSQL
   from --postgres, the sandbox, two gateways, nginx as the load balancer); a payout goes through each gateway and
   through the load balancer to `processed`, and every gateway is ready.
"""
import argparse, base64, glob, json, os, re, shutil, socket, subprocess, sys, tempfile, time, urllib.error, urllib.parse, urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEPLOY = os.path.join(ROOT, "deploy")
failures = []


def fail(message):
    failures.append(message)
    print("FAIL " + message, file=sys.stderr)


def ok(message):
    print("ok   " + message)


def parse_files():
    compose = yaml.safe_load(open(os.path.join(DEPLOY, "compose.yaml")))
    ok("compose.yaml parses")
    manifests = []
    for path in sorted(glob.glob(os.path.join(DEPLOY, "kubernetes", "*.yaml"))):
        documents = [d for d in yaml.safe_load_all(open(path)) if d]
        if not documents:
            fail(f"{path}: no documents")
        manifests += documents
        ok(f"{os.path.relpath(path, ROOT)} parses ({len(documents)} documents)")
    for document in manifests:
        if document.get("kind") == "ConfigMap" and "routes.json" in document.get("data", {}):
            json.loads(document["data"]["routes.json"])
            ok("the ConfigMap's routes.json parses")
    json.load(open(os.path.join(DEPLOY, "compose", "routes.json")))
    ok("compose/routes.json parses")
    known = {"FROM", "RUN", "COPY", "ADD", "WORKDIR", "ENV", "EXPOSE", "USER", "ENTRYPOINT", "CMD", "ARG", "LABEL",
             "HEALTHCHECK", "VOLUME", "STOPSIGNAL", "SHELL"}
    lines, current = [], ""
    for raw in open(os.path.join(DEPLOY, "Dockerfile")):
        line = raw.rstrip("\n")
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\") + " "
        if not line.endswith("\\"):
            lines.append(current.strip())
            current = ""
    instructions = [line.split()[0].upper() for line in lines]
    unknown = [i for i in instructions if i not in known]
    if unknown:
        fail(f"Dockerfile: unknown instructions {unknown}")
    if instructions.count("FROM") < 2:
        fail("Dockerfile: not multi-stage")
    users = [line.split()[1] for line in lines if line.upper().startswith("USER ")]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        fail("Dockerfile: the final stage must run as a non-root USER")
    for line in lines:
        if line.upper().startswith("ENTRYPOINT") or line.upper().startswith("CMD"):
            json.loads(line.split(None, 1)[1])
    ok(f"Dockerfile parses ({len(lines)} instructions, {instructions.count('FROM')} stages, USER {users[-1] if users else '-'})")
    return compose, manifests


def kubernetes_schemas():
    tool = shutil.which("kubernetes-validate")
    if not tool:
        fail("kubernetes-validate is not installed (pip install kubernetes-validate)")
        return
    files = sorted(glob.glob(os.path.join(DEPLOY, "kubernetes", "*.yaml")))
    result = subprocess.run([tool, "--strict", "-k", "1.29.0"] + files, capture_output=True, text=True)
    if result.returncode != 0:
        fail("kubernetes-validate: " + result.stdout + result.stderr)
    else:
        ok(f"the Kubernetes manifests validate against the 1.29 schemas (strict): {len(files)} files")


def systemd_unit(binary):
    tool = shutil.which("systemd-analyze")
    if not tool:
        fail("systemd-analyze is not installed")
        return
    work = tempfile.mkdtemp(prefix="pgw-unit-")
    unit = open(os.path.join(DEPLOY, "systemd", "payout-gateway.service")).read().replace("/usr/local/bin/payout-gateway", os.path.abspath(binary))
    path = os.path.join(work, "payout-gateway.service")
    open(path, "w").write(unit)
    result = subprocess.run([tool, "verify", path], capture_output=True, text=True)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0 or output:
        fail("systemd-analyze verify: " + (output or f"exit {result.returncode}"))
    else:
        ok("systemd-analyze verify passes for systemd/payout-gateway.service")


def environment_names(compose, manifests):
    names = set()
    for service in compose["services"].values():
        environment = service.get("environment") or {}
        names.update(environment.keys() if isinstance(environment, dict) else [e.split("=")[0] for e in environment])
    for document in manifests:
        for container in (document.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or []):
            names.update(e["name"] for e in container.get("env", []))
    for line in open(os.path.join(DEPLOY, "systemd", "payout-gateway.service")):
        match = re.match(r"Environment=([A-Z0-9_]+)=", line.strip())
        if match:
            names.add(match.group(1))
    dockerfile = open(os.path.join(DEPLOY, "Dockerfile")).read().replace("\\\n", " ")
    for match in re.finditer(r"^ENV\s+(.*)$", dockerfile, re.M):
        names.update(re.findall(r"([A-Z0-9_]+)=", match.group(1)))
    ours = sorted(n for n in names if n.startswith("PAYOUT_"))
    sources = ""
    for path in glob.glob(os.path.join(ROOT, "Sources", "**", "*.swift"), recursive=True):
        sources += open(path).read()
    unread = [n for n in ours if f'"{n}"' not in sources]
    if unread:
        fail(f"environment variables set in deploy/ that the gateway never reads: {unread}")
    else:
        ok(f"every PAYOUT_* variable deploy/ sets is read by the gateway ({len(ours)}: {', '.join(ours)})")


def monitoring():
    """The alert rules and the dashboard: their shape, and the metric names their expressions use."""
    rules_path = os.path.join(DEPLOY, "prometheus", "alerts.yaml")
    rules = yaml.safe_load(open(rules_path))
    expressions = []
    for group in rules.get("groups", []):
        for rule in group.get("rules", []):
            missing = [key for key in ("alert", "expr", "for", "annotations") if key not in rule]
            if missing:
                fail(f"alerts.yaml: rule {rule.get('alert', '?')} lacks {missing}")
            expressions.append(("alert " + rule.get("alert", "?"), rule.get("expr", "")))
    ok(f"deploy/prometheus/alerts.yaml parses ({len(expressions)} rules)")
    dashboard = json.load(open(os.path.join(DEPLOY, "grafana", "payout-gateway.json")))
    panels = dashboard.get("panels", [])
    for panel in panels:
        targets = panel.get("targets", [])
        if not targets:
            fail(f"dashboard panel {panel.get('title')} has no query")
        expressions += [("panel " + panel.get("title", "?"), target.get("expr", "")) for target in targets]
    ok(f"deploy/grafana/payout-gateway.json parses ({len(panels)} panels)")
    if shutil.which("promtool"):
        result = subprocess.run(["promtool", "check", "rules", rules_path], capture_output=True, text=True)
        if result.returncode != 0:
            fail("promtool check rules: " + result.stdout + result.stderr)
        else:
            ok("promtool check rules passes")
    return expressions


MONITORING_EXPRESSIONS = []


def monitoring_names(exported):
    """Every metric an expression names is one the gateway exports (histograms by their _bucket/_sum/_count)."""
    named = set()
    for where, expression in MONITORING_EXPRESSIONS:
        for metric in re.findall(r"\b(payout_gateway_[a-z0-9_]+|http_server_[a-z0-9_]+|hb_[a-z0-9_]+)", expression):
            named.add(metric)
            if metric not in exported:
                fail(f"{where}: {metric} is not exported by the gateway")
    if named:
        ok(f"the {len(named)} metrics the alert rules and the dashboard name are all exported")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=10):
    request = urllib.request.Request(url, method=method, data=body.encode() if body else None, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return None, str(error)


def wait_for(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    fail(f"timed out waiting for {what}")
    return False


def compose_as_processes(compose, binary, postgres_url):
    binary = os.path.abspath(binary)
    work = tempfile.mkdtemp(prefix="pgw-compose-")
    processes = []
    services = compose["services"]
    ports = {name: free_port() for name in services}
    admin = urllib.parse.urlparse(postgres_url)
    pg_host, pg_port = admin.hostname, admin.port or 5432
    os.makedirs(os.path.join(work, "secrets"), mode=0o700)
    secrets = {"db_password": base64.b64encode(os.urandom(18)).decode().replace("/", "x").replace("+", "y"),
               "data_key": base64.b64encode(os.urandom(32)).decode(), "admin_token": base64.b64encode(os.urandom(24)).decode()}
    for name in compose.get("secrets", {}):
        if name not in secrets:
            fail(f"compose secret {name} has no local value in this check")
            continue
        path = os.path.join(work, "secrets", name)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(secrets[name])

    def rewrite(text):
        text = text.replace("postgres:5432", f"{pg_host}:{pg_port}")
        text = text.replace("sandbox:8090", f"127.0.0.1:{ports['sandbox']}")
        text = text.replace("http://lb:8080", f"http://127.0.0.1:{ports['lb']}")
        for name in secrets:
            text = text.replace(f"/run/secrets/{name}", os.path.join(work, "secrets", name))
        text = text.replace("/run/sandbox-credentials", os.path.join(work, "sandbox-credentials"))
        text = text.replace("/etc/payout-gateway/compose-routes.json", os.path.join(work, "routes.json"))
        return text

    open(os.path.join(work, "routes.json"), "w").write(rewrite(open(os.path.join(DEPLOY, "compose", "routes.json")).read()))

    # PostgreSQL: the role and database compose.yaml's postgres service makes from its environment.
    pg_env = services["postgres"]["environment"]
    user, database = pg_env["POSTGRES_USER"], pg_env["POSTGRES_DB"]
    psql = ["psql", postgres_url, "-q", "-v", "ON_ERROR_STOP=1"]
    subprocess.run(psql + ["-c", f"DROP DATABASE IF EXISTS {database}", "-c", f"DROP ROLE IF EXISTS {user}",
                           "-c", f"CREATE ROLE {user} LOGIN PASSWORD '{secrets['db_password']}'",
                           "-c", f"CREATE DATABASE {database} OWNER {user}"], check=True)
    ok(f"PostgreSQL: role {user} and database {database} as the postgres service makes them")

    def start(name, arguments, environment, log):
        env = dict(os.environ)
        env.pop("PAYOUT_GATEWAY_TEST_POSTGRES_URL", None)
        env.update(environment)
        out = open(os.path.join(work, log), "w")
        process = subprocess.Popen(arguments, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=work)
        processes.append(process)
        return process

    def command(service, port):
        arguments = [rewrite(str(a)) for a in service.get("command", [])]
        if "--port" in arguments:
            arguments[arguments.index("--port") + 1] = str(port)
        if "--host" in arguments:
            arguments[arguments.index("--host") + 1] = "127.0.0.1"
        return [binary] + arguments

    try:
        sandbox = services["sandbox"]
        start("sandbox", command(sandbox, ports["sandbox"]),
              {k: rewrite(str(v)) for k, v in (sandbox.get("environment") or {}).items()}, "sandbox.log")
        credentials = os.path.join(work, "sandbox-credentials", "payelata", "api_key")
        wait_for(lambda: os.path.exists(credentials), 60, "the sandbox's credential files")
        check = subprocess.run([binary, "routes", "check", os.path.join(work, "routes.json")], capture_output=True, text=True)
        if check.returncode != 0:
            fail("routes check of compose/routes.json: " + check.stdout + check.stderr)
        else:
            ok("payout-gateway routes check accepts compose/routes.json")
        gateways = [name for name in services if name.startswith("gateway")]
        gateway_env = {}
        for name in gateways:
            service = services[name]
            environment = {k: rewrite(str(v)) for k, v in (service.get("environment") or {}).items()}
            environment["PAYOUT_GATEWAY_HOST"] = "127.0.0.1"
            environment["PAYOUT_GATEWAY_PORT"] = str(ports[name])
            gateway_env = environment
            start(name, command(service, ports[name]), environment, f"{name}.log")
        for name in gateways:
            wait_for(lambda: http("GET", f"http://127.0.0.1:{ports[name]}/health")[0] == 200, 120, f"{name} to answer")
        conf = open(os.path.join(DEPLOY, "compose", "nginx.conf")).read()
        for name in gateways:
            conf = conf.replace(f"{name}:8080", f"127.0.0.1:{ports[name]}")
        conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{ports['lb']};")
        os.makedirs(os.path.join(work, "nginx"), exist_ok=True)
        conf = conf.replace("events {", f"pid {work}/nginx.pid;\nerror_log {work}/nginx/error.log warn;\ndaemon off;\nevents {{", 1)
        conf = conf.replace("http {", f"http {{\n  access_log off;\n  client_body_temp_path {work}/nginx/body;\n  proxy_temp_path {work}/nginx/proxy;\n"
                                      f"  fastcgi_temp_path {work}/nginx/fastcgi;\n  uwsgi_temp_path {work}/nginx/uwsgi;\n  scgi_temp_path {work}/nginx/scgi;", 1)
        open(os.path.join(work, "nginx.conf"), "w").write(conf)
        start("lb", ["nginx", "-c", os.path.join(work, "nginx.conf"), "-p", os.path.join(work, "nginx")], {}, "lb.log")
        wait_for(lambda: http("GET", f"http://127.0.0.1:{ports['lb']}/health")[0] == 200, 30, "the load balancer")
        ok("compose services run as local processes: " + ", ".join(f"{n}:{ports[n]}" for n in services if n != "postgres")
           + f", postgres:{pg_port}")

        for name in gateways:
            status, body = http("GET", f"http://127.0.0.1:{ports[name]}/ready")
            if status != 200:
                fail(f"{name} /ready: {status} {body}")
        merchant_env = dict(os.environ, **{k: v for k, v in gateway_env.items()})
        created = subprocess.run([binary, "merchants", "add", "compose-check", "--json"], env=merchant_env, capture_output=True, text=True, cwd=work)
        if created.returncode != 0:
            fail("merchants add: " + created.stdout + created.stderr)
            return
        merchant = json.loads(created.stdout.strip().splitlines()[-1])
        auth = "Basic " + base64.b64encode(f"{merchant['account_id']}:{merchant['api_key']}".encode()).decode()
        headers = {"Authorization": auth, "Content-Type": "application/json"}
        targets = [(name, ports[name]) for name in gateways] + [("lb", ports["lb"])]
        ids = {}
        for index, (name, port) in enumerate(targets):
            body = json.dumps({"data": {"type": "payout-invoice", "attributes": {
                "service": "card", "currency": "USD", "amount": 12.5, "reference_id": f"compose-{index}-{int(time.time())}",
                "fields": {"card_number": "4444333322221111"}, "options": {"auto_process": True}}}})
            status, answer = http("POST", f"http://127.0.0.1:{port}/api/payout-invoices", body, headers)
            if status != 201:
                fail(f"create through {name}: {status} {answer}")
                continue
            ids[name] = (port, json.loads(answer)["data"]["id"])

        def status_of(port, payout):
            code, answer = http("GET", f"http://127.0.0.1:{port}/api/payout-invoices/{payout}", headers=headers)
            return json.loads(answer)["data"]["attributes"]["status"] if code == 200 else None

        for name, (port, payout) in ids.items():
            if wait_for(lambda: status_of(port, payout) == "processed", 120, f"the payout through {name} to be processed"):
                ok(f"a payout through {name} reached processed ({payout})")
        # After payouts went through both gateways, every metric the alert rules and the dashboard name is exported.
        exported = set()
        for name in gateways:
            status, text = http("GET", f"http://127.0.0.1:{ports[name]}/metrics")
            if status != 200:
                fail(f"{name} /metrics: {status}")
                continue
            exported |= {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}
        monitoring_names(exported)
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if failures:
            for log in sorted(glob.glob(os.path.join(work, "*.log"))):
                print(f"--- {os.path.basename(log)} (last lines)", file=sys.stderr)
                print("".join(open(log).readlines()[-20:]), file=sys.stderr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--postgres", help="an administrative PostgreSQL URL (the compose run is skipped without it)")
    args = parser.parse_args()
    compose, manifests = parse_files()
    MONITORING_EXPRESSIONS.extend(monitoring())
    kubernetes_schemas()
    systemd_unit(args.binary)
    environment_names(compose, manifests)
    if args.postgres:
        compose_as_processes(compose, args.binary, args.postgres)
    else:
        fail("no --postgres: the compose services were not run")
    if failures:
        print(f"deploy/check.py: {len(failures)} failure(s)", file=sys.stderr)
        sys.exit(1)
    print("deploy/check.py: all checks passed")


if __name__ == "__main__":
    main()
