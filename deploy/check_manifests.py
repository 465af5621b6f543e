"""Offline checks of the files in deploy/ (called by deploy/check.sh).

    python check_manifests.py k8s FILE...      Kubernetes objects (kustomize output)
    python check_manifests.py aca FILE         Azure Container Apps job YAML
    python check_manifests.py xml FILE         Windows Task Scheduler XML
    python check_manifests.py docker DOCKERFILE REPO
    python check_manifests.py binary INGEST WORKDIR K8S_OUT ENV_FILE ACA SERVICE TASK

k8s: every document is validated against the Kubernetes API models of the `kubernetes` Python
client (field names, types, required fields), plus the cross-field rules the API server would
enforce on what these manifests use. aca: parsed, and the keys `az containerapp job create
--yaml` needs are checked by hand (no offline schema exists). xml: well-formed, Task Scheduler
namespace, the settings deploy/README.md promises. docker: see check_docker. binary: see
check_binary.
"""

import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET

import yaml


def fail(errors, where, msg):
    errors.append(f"{where}: {msg}")


# ---- Kubernetes -------------------------------------------------------------------------------


ENUMS = {
    "concurrencyPolicy": {"Allow", "Forbid", "Replace"},
    "completionMode": {"NonIndexed", "Indexed"},
    "restartPolicy": {"Always", "OnFailure", "Never"},
    "imagePullPolicy": {"Always", "IfNotPresent", "Never"},
    "action": {"FailJob", "FailIndex", "Ignore", "Count"},
    "operator": {"In", "NotIn"},
}


def enums(data, where, errors):
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ENUMS and isinstance(value, str) and value not in ENUMS[key]:
                fail(errors, f"{where}.{key}", f"`{value}` is not one of {sorted(ENUMS[key])}")
            enums(value, f"{where}.{key}", errors)
    elif isinstance(data, list):
        for i, item in enumerate(data):
            enums(item, f"{where}[{i}]", errors)


def job_rules(job, where, errors):
    """Rules of the Job API that the models do not carry."""
    pod = job["template"]["spec"]
    if job.get("completionMode") == "Indexed" and "completions" not in job:
        fail(errors, where, "an Indexed Job needs completions")
    if job.get("parallelism") != job.get("completions"):
        fail(errors, where, "parallelism and completions differ: N workers should all start")
    if ("podFailurePolicy" in job or "backoffLimitPerIndex" in job) and pod.get(
        "restartPolicy"
    ) != "Never":
        fail(errors, where, "podFailurePolicy/backoffLimitPerIndex need restartPolicy: Never")
    if "backoffLimitPerIndex" in job and job.get("completionMode") != "Indexed":
        fail(errors, where, "backoffLimitPerIndex needs completionMode: Indexed")
    names = {c["name"] for c in pod["containers"]}
    for rule in job.get("podFailurePolicy", {}).get("rules", []):
        c = rule.get("onExitCodes", {}).get("containerName")
        if c is not None and c not in names:
            fail(errors, where, f"podFailurePolicy names container `{c}`, which does not exist")
    volumes = {v["name"] for v in pod.get("volumes", [])}
    for c in pod["containers"]:
        env = [e["name"] for e in c.get("env", [])]
        for arg in c.get("args", []) + c.get("command", []):
            if arg.startswith("$(") and arg.endswith(")") and arg[2:-1] not in env:
                fail(errors, where, f"argument {arg} names no env variable of the container")
        for m in c.get("volumeMounts", []):
            if m["name"] not in volumes:
                fail(errors, where, f"volumeMount `{m['name']}` has no volume")
    return pod


def check_k8s(paths):
    from kubernetes.client import models

    errors, objects = [], []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        for doc in docs:
            version = doc["apiVersion"].split("/")[-1]
            cls = getattr(models, version.capitalize() + doc["kind"], None)
            where = f"{path}: {doc['kind']}/{doc['metadata']['name']}"
            if cls is None:
                fail(errors, where, "no Kubernetes model for this apiVersion/kind")
                continue
            try:
                cls.model_validate(doc)
            except Exception as e:  # pydantic ValidationError: types, required and unknown fields
                fail(errors, where, str(e).replace("\n", " | "))
                valid = False
            else:
                valid = True
            enums(doc, where, errors)
            objects.append((doc["kind"], doc["metadata"]["name"], doc, where, valid))
    have = {(k, n) for k, n, _, _, _ in objects}
    for kind, _, doc, where, valid in objects:
        if kind != "CronJob" or not valid:  # the rules below read what the models checked
            continue
        pod = job_rules(doc["spec"]["jobTemplate"]["spec"], where, errors)
        refs = [("ServiceAccount", pod.get("serviceAccountName", "default"))]
        for v in pod.get("volumes", []):
            if "configMap" in v:
                refs.append(("ConfigMap", v["configMap"]["name"]))
            if "secret" in v:
                refs.append(("Secret", v["secret"]["secretName"]))
        for c in pod["containers"]:
            for e in c.get("envFrom", []):
                if "secretRef" in e:
                    refs.append(("Secret", e["secretRef"]["name"]))
        for ref in refs:
            if ref not in have:
                fail(errors, where, f"refers to {ref[0]} `{ref[1]}`, which is not in the output")
    names = ", ".join(f"{k}/{n}" for k, n, _, _, _ in objects)
    print(f"k8s: {len(objects)} objects checked: {names}")
    return errors


# ---- Azure Container Apps ----------------------------------------------------------------------


def dig(doc, dotted):
    for part in dotted.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


def check_aca(path):
    errors = []
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    for key in [
        "location",
        "identity.type",
        "properties.environmentId",
        "properties.configuration.triggerType",
        "properties.configuration.replicaTimeout",
        "properties.configuration.scheduleTriggerConfig.cronExpression",
        "properties.configuration.scheduleTriggerConfig.parallelism",
        "properties.configuration.scheduleTriggerConfig.replicaCompletionCount",
        "properties.template.containers",
    ]:
        if dig(doc, key) is None:
            fail(errors, path, f"missing {key}")
    cfg = dig(doc, "properties.configuration") or {}
    if cfg.get("triggerType") != "Schedule":
        fail(errors, path, "triggerType must be Schedule")
    sched = cfg.get("scheduleTriggerConfig") or {}
    if sched.get("parallelism") != sched.get("replicaCompletionCount"):
        fail(errors, path, "parallelism and replicaCompletionCount differ")
    secrets = {s["name"] for s in cfg.get("secrets", [])}
    volumes = {v["name"] for v in dig(doc, "properties.template.volumes") or []}
    for c in dig(doc, "properties.template.containers") or []:
        for e in c.get("env", []):
            if "secretRef" in e and e["secretRef"] not in secrets:
                fail(errors, path, f"env {e['name']} refers to unknown secret {e['secretRef']}")
            if ("value" in e) == ("secretRef" in e):
                fail(errors, path, f"env {e['name']} needs exactly one of value, secretRef")
        for m in c.get("volumeMounts", []):
            if m["volumeName"] not in volumes:
                fail(errors, path, f"volumeMount {m['volumeName']} has no volume")
    n = len(cfg.get("secrets", []))
    print(f"aca: {path} parsed, {n} secrets, parallelism {sched.get('parallelism')}")
    return errors


# ---- Windows Task Scheduler --------------------------------------------------------------------

NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


def check_xml(path):
    errors = []
    root = ET.parse(path).getroot()
    if root.tag != f"{{{NS['t']}}}Task":
        fail(errors, path, f"root element is {root.tag}, not Task")
    expect = {
        "t:Triggers/t:CalendarTrigger/t:ScheduleByDay/t:DaysInterval": "1",
        "t:Principals/t:Principal/t:LogonType": "Password",
        "t:Settings/t:MultipleInstancesPolicy": "IgnoreNew",
        "t:Settings/t:ExecutionTimeLimit": None,
        "t:Actions/t:Exec/t:Command": None,
        "t:Actions/t:Exec/t:WorkingDirectory": None,
    }
    for xpath, value in expect.items():
        node = root.find(xpath, NS)
        if node is None:
            fail(errors, path, f"missing {xpath}")
        elif value is not None and (node.text or "").strip() != value:
            fail(errors, path, f"{xpath} is {node.text!r}, expected {value!r}")
    print(f"xml: {path} well-formed")
    return errors


# ---- Dockerfile --------------------------------------------------------------------------------


def check_docker(dockerfile, repo):
    """What can be checked without a Docker daemon: the build context has what COPY needs, the
    build command builds the repository's binary, the Rust image is new enough."""

    errors = []
    text = open(dockerfile, encoding="utf-8").read()
    ignore = [
        line.strip()
        for line in open(os.path.join(repo, ".dockerignore"), encoding="utf-8")
        if line.strip() and not line.startswith("#")
    ]

    def included(path):
        keep = True
        for pattern in ignore:
            negate = pattern.startswith("!")
            p = pattern.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, p) or path.startswith(p + "/"):
                keep = negate
        return keep

    for line in text.splitlines():
        m = re.match(r"COPY (?!--from)(.+) \S+$", line.strip())
        for src in m.group(1).split() if m else []:
            if not os.path.exists(os.path.join(repo, src)):
                fail(errors, dockerfile, f"COPY {src}: not in the repository")
            elif not included(src):
                fail(errors, dockerfile, f"COPY {src}: excluded by .dockerignore")
    cargo = tomllib.load(open(os.path.join(repo, "Cargo.toml"), "rb"))
    bins = [b["name"] for b in cargo.get("bin", [])] or [cargo["package"]["name"]]
    m = re.search(r"cargo build --release --locked --bin (\S+)", text)
    if not m or m.group(1) not in bins:
        fail(errors, dockerfile, f"no `cargo build --release --locked --bin` of {bins}")
    m = re.search(r"ARG RUST_VERSION=(\d+)\.(\d+)", text)
    need = tuple(int(x) for x in cargo["package"]["rust-version"].split(".")[:2])
    if not m or (int(m.group(1)), int(m.group(2))) < need:
        fail(errors, dockerfile, f"RUST_VERSION older than rust-version {need}")
    code = "\n".join(x for x in text.splitlines() if not x.lstrip().startswith("#"))
    if re.search(r"openssl|libssl", code, re.I):
        fail(errors, dockerfile, "installs or links OpenSSL")
    if not re.search(r"^USER (?!root|0\b)", code, re.M):
        fail(errors, dockerfile, "no non-root USER")
    print(f"docker: {dockerfile} consistent with Cargo.toml and .dockerignore (not built)")
    return errors


# ---- The manifests against the ingest binary ---------------------------------------------------


def ingest_run_flags(binary):
    out = subprocess.run([binary, "run", "--help"], capture_output=True, text=True, check=True)
    return set(re.findall(r"--[a-z][a-z0-9-]*", out.stdout))


def check_binary(binary, workdir, k8s_out, env_file, aca, service, task):
    """The flags every manifest passes to `ingest run` exist, and the example secrets.toml with
    the variables each manifest sets passes `ingest validate` on a workbook using both sections."""
    import openpyxl  # only this check needs it

    errors = []
    binary = os.path.abspath(binary)
    flags = ingest_run_flags(binary)
    k8s = [d for d in yaml.safe_load_all(open(k8s_out, encoding="utf-8")) if d]
    cron = next(d for d in k8s if d["kind"] == "CronJob")
    k8s_c = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    aca_doc = yaml.safe_load(open(aca, encoding="utf-8"))
    aca_c = aca_doc["properties"]["template"]["containers"][0]
    unit = open(service, encoding="utf-8").read()
    exec_start = re.search(r"^ExecStart=\S+ (.*)$", unit, re.M).group(1).split()
    root = ET.parse(task).getroot()
    task_args = root.find("t:Actions/t:Exec/t:Arguments", NS).text.split()
    for where, args in [
        ("kubernetes/cronjob.yaml", k8s_c["args"]),
        ("azure-container-apps/ingest-job.yaml", aca_c["args"]),
        ("systemd/ingest.service", exec_start),
        ("windows/ingest-task.xml", task_args),
    ]:
        if args[0] != "run":
            fail(errors, where, "does not start with `run`")
        for a in args:
            if a.startswith("--") and a not in flags:
                fail(errors, where, f"`ingest run` has no flag {a} (this build)")

    # A workbook with one job reading [sources.sales_db] and writing [destinations.adls].
    os.makedirs(workdir, exist_ok=True)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    wb = openpyxl.load_workbook(os.path.join(repo, "samples", "ingestion_config.xlsx"))
    ws = wb["SourceConfig"]
    header = [c.value for c in ws[1]]
    ws.delete_rows(2, ws.max_row)
    row = dict(job_id="sales_orders_full", source_type="PostgreSQL", source_name="sales_db",
               schema_name="public", table_name="orders", load_type="FULL", enabled="Y",
               target_container="raw", target_folder_path="sales", destination="adls")
    ws.append([row.get(h) for h in header])
    wb.save(os.path.join(workdir, "ingestion_config.xlsx"))
    shutil.copy(os.path.join(repo, "deploy", "kubernetes", "secrets.toml.example"),
                os.path.join(workdir, "secrets.toml"))
    base = {k: v for k, v in os.environ.items() if not k.upper().startswith("INGEST__")}
    k8s_env = {e["name"]: e["value"] for e in k8s_c["env"] if "value" in e}
    for line in open(env_file, encoding="utf-8"):
        if "=" in line and not line.startswith("#"):
            k, v = line.rstrip("\n").split("=", 1)
            k8s_env[k] = v
    aca_env = {e["name"]: e.get("value", "secret-from-key-vault") for e in aca_c["env"]}
    for where, env in [("kubernetes", k8s_env), ("azure-container-apps", aca_env), ("none", {})]:
        cmd = [binary, "validate", "--config", "ingestion_config.xlsx", "--output", "json"]
        r = subprocess.run(cmd, cwd=workdir, env={**base, **env}, capture_output=True, text=True)
        want = 2 if where == "none" else 0  # without the variables, ADLS has no auth: exit 2
        print(f"validate with the {where} variables: exit {r.returncode} (expected {want})")
        if r.returncode != want:
            fail(errors, where, f"ingest validate exited {r.returncode}: {r.stdout} {r.stderr}")
    return errors


def main(argv):
    mode, paths = argv[1], argv[2:]
    if mode == "k8s":
        errors = check_k8s(paths)
    elif mode == "aca":
        errors = [e for p in paths for e in check_aca(p)]
    elif mode == "xml":
        errors = [e for p in paths for e in check_xml(p)]
    elif mode == "docker":
        errors = check_docker(*paths)
    elif mode == "binary":
        errors = check_binary(*paths)
    else:
        sys.exit(f"unknown mode {mode}")
    for e in errors:
        print(f"error: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
