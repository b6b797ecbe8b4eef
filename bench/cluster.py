"""Side-by-side diff and apply on a real kube-apiserver (scripts/control-plane):
cleat against `kubectl apply/diff --server-side` and `helm upgrade --install` /
`helm upgrade --dry-run=server`, on the same objects (bench/packages/objects and
bench/charts/objects render the same objects; bench/compare.py checks that).
Every tool gets namespaces of its own; runs alternate between tools. Then backup
and restore of 10 releases (see `backup_restore`). Writes the section between
<!-- cluster --> and <!-- /cluster --> of docs/benchmarks.md."""
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


RELEASES = 10
RELEASE_COUNT = 10  # services per release: 30 objects, 300 in all


def backup_restore():
    """Backup and restore of 10 releases of 30 objects, all in one namespace per tool.
    cleat: `cleat backup -n NS` (records, lockfile, package archives, rendered objects in
    one verified bundle) and `cleat restore --namespace-map` into a new namespace.
    helm, which has no backup: `helm get values` and `helm get manifest` of every release,
    and a restore that installs every release again from the chart with its saved values.
    kubectl, which has no releases: a dump with `kubectl get -o yaml` (no restore: the
    dump holds server fields and the old namespace, so it does not apply elsewhere as is)."""
    releases = [f"app-{i}" for i in range(RELEASES)]
    chart = "bench/charts/objects"
    values = ["--set", f"count={RELEASE_COUNT}"]
    # Installed once per tool, not timed.
    spec = os.path.join(work, "backup-cleat.yaml")
    with open(spec, "w") as f:
        f.write("releases:\n" + "".join(
            f"  - name: {r}\n    namespace: backup-cleat\n    package: {root}/bench/packages/objects\n"
            f"    values: {{count: {RELEASE_COUNT}}}\n" for r in releases))
    quiet([cleat, "apply", "--yes", "--file", spec])
    for r in releases:
        quiet([helm, "install", r, chart, "-n", "backup-helm", "--create-namespace", *values])
    quiet([kubectl, "create", "namespace", "backup-kubectl"])
    for r in releases:
        rendered = subprocess.run([helm, "template", r, chart, *values],
                                  capture_output=True, check=True).stdout
        subprocess.run([kubectl, "apply", "--server-side", "-n", "backup-kubectl", "-f", "-"],
                       input=rendered, env=env, check=True, capture_output=True)
    helm_backup = ";".join(
        f'"{helm}" get values {r} -n backup-helm -o yaml > "$1/{r}.values.yaml" && '
        f'"{helm}" get manifest {r} -n backup-helm > "$1/{r}.yaml"' for r in releases)
    table = {}
    for run in range(runs):
        saved = os.path.join(work, f"backup-{run}")
        os.makedirs(saved)
        bundle = os.path.join(saved, "bundle.tgz")
        steps = [
            ("cleat", "backup", [cleat, "backup", "-n", "backup-cleat", "-o", bundle]),
            ("helm", "backup", ["bash", "-c", helm_backup, "-", saved]),
            ("kubectl", "backup", ["bash", "-c", f'"{kubectl}" get configmaps,deployments,services -n backup-kubectl -o yaml > "$1/dump.yaml"', "-", saved]),
            ("cleat", "restore", [cleat, "restore", bundle, "--namespace-map", f"backup-cleat=restore-cleat-{run}"]),
            ("helm", "restore", ["bash", "-c", ";".join(
                f'"{helm}" install {r} {chart} -n restore-helm-{run} --create-namespace -f "$1/{r}.values.yaml" || exit 1'
                for r in releases), "-", saved]),
        ]
        for tool, op, argv in steps:
            table.setdefault(op, {}).setdefault(tool, []).append(timed(argv))
        print(f"backup and restore: run {run + 1}/{runs}", file=sys.stderr)
    return table


STATUS_COUNT = 1667  # services: 5,001 objects


def status():
    """`cleat status` (record, lock digest and drift of one release) against `cleat diff`
    of the same release and `kubectl diff --server-side` of the same objects, at 5,001
    objects: status must cost no more than diff."""
    namespace = "status-5000"
    spec = cleat_project(namespace, STATUS_COUNT)
    quiet([cleat, "apply", "--yes", "--file", spec])
    same = manifest(f"{namespace}-kubectl", STATUS_COUNT)
    quiet([kubectl, "create", "namespace", f"{namespace}-kubectl"])
    quiet([kubectl, "apply", "--server-side", "-n", f"{namespace}-kubectl", "-f", same])
    table = {"cleat status": [], "cleat diff": [], "kubectl diff": []}
    for run in range(runs):
        table["cleat status"].append(timed([cleat, "status", "--file", spec]))
        table["cleat diff"].append(timed([cleat, "diff", "--file", spec]))
        table["kubectl diff"].append(timed([kubectl, "diff", "--server-side", "-n", f"{namespace}-kubectl", "-f", same]))
        print(f"status: run {run + 1}/{runs}", file=sys.stderr)
    return table


CHART_RELEASES = 20
CHART_RELEASE_COUNT = 5  # services per release: 15 objects, 300 in all


def chart_releases():
    """`cleat diff` of 20 Helm chart releases (bench/charts/objects as the package of each
    release in one cleat.yaml, rendered by cleat) against Helm's own way to see what an
    upgrade would change, `helm upgrade --dry-run=server` of each release in turn."""
    releases = [f"chart-{i}" for i in range(CHART_RELEASES)]
    chart = "bench/charts/objects"
    spec = os.path.join(work, "charts-cleat.yaml")
    with open(spec, "w") as f:
        f.write("releases:\n" + "".join(
            f"  - name: {r}\n    namespace: charts-cleat\n    package: {root}/{chart}\n"
            f"    values: {{count: {CHART_RELEASE_COUNT}}}\n" for r in releases))
    quiet([cleat, "apply", "--yes", "--file", spec])
    for r in releases:
        quiet([helm, "install", r, chart, "-n", "charts-helm", "--create-namespace",
               "--set", f"count={CHART_RELEASE_COUNT}"])
    helm_diff = ";".join(
        f'"{helm}" upgrade {r} {chart} -n charts-helm --set count={CHART_RELEASE_COUNT} --dry-run=server > /dev/null || exit 1'
        for r in releases)
    table = {"cleat": [], "helm": []}
    for run in range(runs):
        table["cleat"].append(timed([cleat, "diff", "--file", spec]))
        table["helm"].append(timed(["bash", "-c", helm_diff]))
        print(f"chart releases: run {run + 1}/{runs}", file=sys.stderr)
    return table


def write_chart_releases(table):
    lines = [
        "<!-- chart-releases -->",
        f"### {CHART_RELEASES} Helm chart releases: diff",
        "",
        f"{CHART_RELEASES} releases of the chart `bench/charts/objects` ({CHART_RELEASE_COUNT * 3} objects each), installed",
        "by each tool in a namespace of its own. cleat: one `cleat diff` of a release file declaring",
        "all of them (the chart rendered by cleat, releases planned side by side). helm: `helm",
        "upgrade --dry-run=server` of each release, one after the other, which is what Helm offers",
        f"to see an upgrade. {runs} runs each; peak RSS is that of the largest process.",
        "",
    ] + rows(table) + ["<!-- /chart-releases -->"]
    put_section("chart-releases", lines)


def put_section(name, lines):
    """Writes `lines` (which start with <!-- name --> and end with <!-- /name -->)
    into the output in place of the section there, or after the cluster section."""
    section = "\n".join(lines) + "\n"
    existing = open(out_path).read()
    if f"<!-- {name} -->" in existing:
        start = existing.index(f"<!-- {name} -->")
        end = existing.index(f"<!-- /{name} -->") + len(f"<!-- /{name} -->\n")
        existing = existing[:start] + section + existing[end:]
    else:
        at = existing.index("<!-- /cluster -->") + len("<!-- /cluster -->\n")
        existing = existing[:at] + "\n" + section + existing[at:]
    open(out_path, "w").write(existing)


def write_status(table):
    table = {"cleat": table["cleat status"], "cleat diff": table["cleat diff"], "kubectl diff": table["kubectl diff"]}
    lines = [
        "<!-- status -->",
        "### 5,001 objects: status against diff",
        "",
        "`cleat status` of one release of 5,001 objects (newest record, lock digest, drift from",
        "a forced server-side dry run of the recorded revision, unrecorded labelled objects),",
        "`cleat diff` of the same release, and `kubectl diff --server-side` of the same objects.",
        f"{runs} runs each; rows read as tool / `cleat status`.",
        "",
    ] + rows(table) + ["<!-- /status -->"]
    put_section("status", lines)


def main():
    if os.environ.get("BENCH_ONLY") == "status":
        write_status(status())
        return
    if os.environ.get("BENCH_ONLY") == "charts":
        write_chart_releases(chart_releases())
        return
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
    write(results, tools, backup_restore())
    write_status(status())
    write_chart_releases(chart_releases())


def rows(measured):
    """Table rows for {tool: [(wall, rss)]}, cleat first, ratios to cleat."""
    cleat_wall = statistics.median(w for w, _ in measured["cleat"])
    cleat_rss = max(r for _, r in measured["cleat"])
    lines = ["| tool | median wall | min–max | peak RSS | tool / cleat |", "| --- | --- | --- | --- | --- |"]
    for tool, runs_ in measured.items():
        walls = [w for w, _ in runs_]
        rss = max(r for _, r in runs_)
        median = statistics.median(walls)
        ratio = "1.0" if tool == "cleat" else f"{median / cleat_wall:.1f}x time, {rss / cleat_rss:.1f}x memory"
        lines.append(f"| {tool} | {median:.2f} s | {min(walls):.2f}–{max(walls):.2f} s | {rss / 1024:.1f} MiB | {ratio} |")
    return lines + [""]


def write(results, tools, backup):
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
            lines += [f"### {label}: {names[op]}", ""]
            lines += rows({tool: table[(tool, op)] for tool in tools})
    lines += [
        f"### Backup and restore of {RELEASES} releases",
        "",
        f"{RELEASES} releases of {RELEASE_COUNT * 3} objects each in one namespace per tool. cleat:",
        "`cleat backup -n NS -o bundle.tgz` (records, lockfile, package archives and rendered",
        "objects in one verified bundle), then `cleat restore bundle.tgz --namespace-map",
        "OLD=NEW` into a new namespace. helm has no backup: `helm get values` and",
        "`helm get manifest` of every release, and a restore that installs each release again",
        "from the chart (which the operator must still have) with its saved values. kubectl has",
        "no releases: a `kubectl get configmaps,deployments,services -o yaml` dump, which holds",
        "server fields and the old namespace, so it has no restore row. Peak RSS for helm and",
        "kubectl is that of the largest process of the script.",
        "",
    ]
    for op in ("backup", "restore"):
        lines += [f"#### {op}", ""] + rows(backup[op])
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


if __name__ == "__main__":
    main()
