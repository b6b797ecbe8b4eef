"""Side-by-side diff and apply on a real kube-apiserver (scripts/control-plane):
cleat against `kubectl apply/diff --server-side` and `helm upgrade --install` /
`helm upgrade --dry-run=server`, on the same objects (bench/packages/objects and
bench/charts/objects render the same objects; bench/compare.py checks that).
Every tool gets namespaces of its own; runs alternate between tools. Writes the
section between <!-- cluster --> and <!-- /cluster --> of docs/benchmarks.md."""
import os, statistics, subprocess, sys, tempfile, time

runs, cleat, helm, kubectl, kubeconfig, out_path = sys.argv[1:7]
runs = int(runs)
root = os.getcwd()
env = dict(os.environ, KUBECONFIG=kubeconfig, NO_COLOR="1")
work = tempfile.mkdtemp(prefix="cleat-bench-")
SIZES = [(100, "300 objects"), (1000, "3,000 objects")]


def timed(argv, ok=(0,)):
    """Wall seconds and peak RSS (KiB, from GNU time) of one process."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall, int(proc.stderr.strip().splitlines()[-1])


def quiet(argv):
    subprocess.run(argv, env=env, check=True, capture_output=True)


def cleat_project(namespace, count, changed=0):
    directory = os.path.join(work, namespace)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"cleat-{changed}.yaml")
    with open(path, "w") as f:
        f.write(f"releases:\n  - name: bench\n    namespace: {namespace}\n"
                f"    package: {root}/bench/packages/objects\n    values: {{count: {count}, changed: {changed}}}\n")
    return path


def manifest(namespace, count, changed=0):
    path = os.path.join(work, f"{namespace}-{changed}.yaml")
    with open(path, "w") as f:
        subprocess.run([helm, "template", "bench", "bench/charts/objects", "--set", f"count={count}",
                        "--set", f"changed={changed}", "--namespace", namespace], stdout=f, check=True)
    return path


OPS = ("install", "apply", "diff", "diff10", "apply10")


def commands(tool, namespace, count):
    """Per operation of OPS, the command and the exit codes that mean it worked:
    first install, apply and diff with nothing changed, then diff and apply with
    10% of the objects changed (the ConfigMaps of the first tenth of the services)."""
    changed = count * 3 // 10  # 10% of 3 objects per service
    if tool == "cleat":
        same, new = cleat_project(namespace, count), cleat_project(namespace, count, changed)
        apply = [cleat, "apply", "--yes", "--file", same]
        return {"install": (apply, (0,)), "apply": (apply, (0,)), "diff": ([cleat, "diff", "--file", same], (0,)),
                "diff10": ([cleat, "diff", "--file", new], (2,)), "apply10": ([cleat, "apply", "--yes", "--file", new], (0,))}
    if tool == "kubectl":
        same, new = manifest(namespace, count), manifest(namespace, count, changed)
        apply = [kubectl, "apply", "--server-side", "-n", namespace, "-f", same]
        return {"install": (apply, (0,)), "apply": (apply, (0,)),
                "diff": ([kubectl, "diff", "--server-side", "-n", namespace, "-f", same], (0,)),
                "diff10": ([kubectl, "diff", "--server-side", "-n", namespace, "-f", new], (1,)),
                "apply10": ([kubectl, "apply", "--server-side", "-n", namespace, "-f", new], (0,))}
    chart = ["bench/charts/objects", "-n", namespace, "--set", f"count={count}"]
    new = [*chart, "--set", f"changed={changed}"]
    return {"install": ([helm, "install", "bench", *chart, "--create-namespace"], (0,)),
            "apply": ([helm, "upgrade", "--install", "bench", *chart], (0,)),
            "diff": ([helm, "upgrade", "bench", *chart, "--dry-run=server"], (0,)),
            "diff10": ([helm, "upgrade", "bench", *new, "--dry-run=server"], (0,)),
            "apply10": ([helm, "upgrade", "--install", "bench", *new], (0,))}


def main():
    tools = ["cleat", "kubectl", "helm"]
    results = []
    for count, label in SIZES:
        table = {(t, op): [] for t in tools for op in OPS}
        for run in range(runs):
            for tool in tools:
                namespace = f"{tool}-{count}-{run}"
                planned = commands(tool, namespace, count)
                if tool == "kubectl":
                    quiet([kubectl, "create", "namespace", namespace])
                for op in OPS:
                    argv, ok = planned[op]
                    table[(tool, op)].append(timed(argv, ok=ok))
            print(f"{label}: run {run + 1}/{runs}", file=sys.stderr)
        results.append((label, table))
    write(results, tools)


def write(results, tools):
    names = {"install": "first install", "apply": "apply, nothing changed", "diff": "diff, nothing changed",
             "diff10": "diff, 10% changed", "apply10": "apply, 10% changed"}
    versions = {
        "kubectl": subprocess.run([kubectl, "version", "--client", "-o", "yaml"], capture_output=True, text=True).stdout.split("gitVersion:")[1].split()[0],
        "helm": subprocess.run([helm, "version", "--short"], capture_output=True, text=True).stdout.strip(),
    }
    lines = [
        "<!-- cluster -->",
        "## Diff and apply on a real API server",
        "",
        "kube-apiserver v1.20.2 and etcd on 127.0.0.1 (`scripts/control-plane`), on the same machine.",
        "The objects are `bench/packages/objects` / `bench/charts/objects` (Deployments, Services and",
        "ConfigMaps in equal numbers; both render the same objects). Every tool installs into",
        "namespaces of its own, then applies and diffs again with nothing changed, then diffs and",
        "applies with 10% of the objects changed (the ConfigMaps of the first tenth of the services).",
        f"Commands: `cleat apply --yes` / `cleat diff`; `kubectl apply --server-side` / `kubectl diff",
        f"--server-side` (kubectl {versions['kubectl']}); `helm install`, `helm upgrade --install` /",
        f"`helm upgrade --dry-run=server` (helm {versions['helm']}). {runs} runs per tool, alternating.",
        "",
    ]
    for label, table in results:
        for op in OPS:
            cleat_wall = statistics.median(w for w, _ in table[("cleat", op)])
            cleat_rss = max(r for _, r in table[("cleat", op)])
            lines += [f"### {label}: {names[op]}", "",
                      "| tool | median wall | min–max | peak RSS | tool / cleat |",
                      "| --- | --- | --- | --- | --- |"]
            for tool in tools:
                walls = [w for w, _ in table[(tool, op)]]
                rss = max(r for _, r in table[(tool, op)])
                median = statistics.median(walls)
                ratio = "1.0" if tool == "cleat" else f"{median / cleat_wall:.1f}x time, {rss / cleat_rss:.1f}x memory"
                lines.append(f"| {tool} | {median:.2f} s | {min(walls):.2f}–{max(walls):.2f} s | {rss / 1024:.1f} MiB | {ratio} |")
            lines.append("")
    lines.append("<!-- /cluster -->")
    section = "\n".join(lines) + "\n"
    existing = open(out_path).read()
    if "<!-- cluster -->" in existing:
        start = existing.index("<!-- cluster -->")
        end = existing.index("<!-- /cluster -->") + len("<!-- /cluster -->\n")
        existing = existing[:start] + section + existing[end:]
    else:
        marker = "<!-- cargo bench -->"
        at = existing.index(marker) if marker in existing else len(existing)
        existing = existing[:at] + section + "\n" + existing[at:]
    open(out_path, "w").write(existing)


main()
