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


def cleat_project(namespace, count):
    directory = os.path.join(work, namespace)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "cleat.yaml"), "w") as f:
        f.write(f"releases:\n  - name: bench\n    namespace: {namespace}\n"
                f"    package: {root}/bench/packages/objects\n    values: {{count: {count}}}\n")
    return os.path.join(directory, "cleat.yaml")


def manifest(namespace, count):
    path = os.path.join(work, f"{namespace}.yaml")
    with open(path, "w") as f:
        subprocess.run([helm, "template", "bench", "bench/charts/objects", "--set", f"count={count}",
                        "--namespace", namespace], stdout=f, check=True)
    return path


def commands(tool, namespace, count):
    """(first install, no-change apply, no-change diff) for one tool in one namespace."""
    if tool == "cleat":
        project = cleat_project(namespace, count)
        apply = [cleat, "apply", "--yes", "--file", project]
        return apply, apply, [cleat, "diff", "--file", project]
    if tool == "kubectl":
        path = manifest(namespace, count)
        apply = [kubectl, "apply", "--server-side", "-n", namespace, "-f", path]
        return apply, apply, [kubectl, "diff", "--server-side", "-n", namespace, "-f", path]
    chart = ["bench/charts/objects", "-n", namespace, "--set", f"count={count}"]
    return ([helm, "install", "bench", *chart, "--create-namespace"],
            [helm, "upgrade", "--install", "bench", *chart],
            [helm, "upgrade", "bench", *chart, "--dry-run=server"])


def main():
    tools = ["cleat", "kubectl", "helm"]
    results = []
    for count, label in SIZES:
        table = {(t, op): [] for t in tools for op in ("install", "apply", "diff")}
        for run in range(runs):
            for tool in tools:
                namespace = f"{tool}-{count}-{run}"
                install, apply, diff = commands(tool, namespace, count)
                if tool == "kubectl":
                    quiet([kubectl, "create", "namespace", namespace])
                table[(tool, "install")].append(timed(install))
                table[(tool, "apply")].append(timed(apply))
                # kubectl diff exits 1 when there are differences; cleat diff exits 2.
                table[(tool, "diff")].append(timed(diff, ok=(0,)))
            print(f"{label}: run {run + 1}/{runs}", file=sys.stderr)
        results.append((label, table))
    write(results, tools)


def write(results, tools):
    names = {"install": "first install", "apply": "apply, nothing changed", "diff": "diff, nothing changed"}
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
        "namespaces of its own, then applies and diffs again with nothing changed.",
        f"Commands: `cleat apply --yes` / `cleat diff`; `kubectl apply --server-side` / `kubectl diff",
        f"--server-side` (kubectl {versions['kubectl']}); `helm install`, `helm upgrade --install` /",
        f"`helm upgrade --dry-run=server` (helm {versions['helm']}). {runs} runs per tool, alternating.",
        "",
    ]
    for label, table in results:
        for op in ("install", "apply", "diff"):
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
