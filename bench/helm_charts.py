"""`cleat render CHART` against `helm template CHART` on a corpus of Helm charts, as whole
processes, alternating, per chart; writes the section between `<!-- helm charts -->` and
`<!-- /helm charts -->` of docs/benchmarks.md. The charts are the copies the conformance
harness (examples/helm-corpus.rs) left in WORK with their dependencies vendored, after it
checked that both render equal objects.
Usage: helm_charts.py RUNS CLEAT HELM WORK BENCHMARKS_MD"""
import os, platform, statistics, subprocess, sys, time

runs, cleat, helm, work, out_path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
LARGEST = "kube-prometheus-stack"
COMMON = ["--namespace", "ns", "--kube-version", "1.34.0"]


def wall(argv):
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    return elapsed if proc.returncode == 0 else None


def peak_rss(argv):
    """Peak RSS in KiB by GNU time (a child of Python inherits Python's high-water mark)."""
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    return int(proc.stderr.strip().splitlines()[-1])


def commands(chart):
    path = os.path.join(work, chart)
    return ([cleat, "render", path, "--release", "rel", *COMMON],
            [helm, "template", "rel", path, *COMMON])


def main():
    charts = sorted(c for c in os.listdir(work) if os.path.isfile(os.path.join(work, c, "Chart.yaml")))
    ratios, rows = [], []
    for chart in charts:
        cleat_argv, helm_argv = commands(chart)
        times = {"cleat": [], "helm": []}
        for _ in range(runs):
            times["cleat"].append(wall(cleat_argv))
            times["helm"].append(wall(helm_argv))
        if None in times["helm"]:
            rows.append(f"| {chart} | fails with its defaults | | |")
            continue
        if None in times["cleat"]:
            # Helm renders it, cleat refuses it: an object its schema refuses.
            refused = subprocess.run(cleat_argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            first = next((l for l in refused.stderr.splitlines() if l.startswith("error")), "error")
            rows.append(f"| {chart} | refused by cleat: `{first.replace('|', '/')[:160]}` | | |")
            continue
        c, h = statistics.median(times["cleat"]), statistics.median(times["helm"])
        ratios.append(h / c)
        rows.append(f"| {chart} | {h*1000:.0f} ms | {c*1000:.0f} ms | {h/c:.1f}x |")
        print(f"{chart}: helm {h*1000:.0f} ms, cleat {c*1000:.0f} ms", file=sys.stderr)
    cleat_argv, helm_argv = commands(LARGEST)
    times = {"cleat": [], "helm": []}
    for _ in range(max(runs, 9)):
        times["cleat"].append(wall(cleat_argv))
        times["helm"].append(wall(helm_argv))
    rss = {"cleat": max(peak_rss(cleat_argv) for _ in range(3)),
           "helm": max(peak_rss(helm_argv) for _ in range(3))}
    c, h = statistics.median(times["cleat"]), statistics.median(times["helm"])
    helm_version = subprocess.run([helm, "version", "--short"], capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
               platform.processor())
    lines = [
        "<!-- helm charts -->",
        "## Helm charts: `cleat render CHART` vs `helm template`",
        "",
        f"Whole processes, release build, alternating, median of {runs} runs per chart "
        f"({max(runs, 9)} for {LARGEST}); peak RSS (GNU time) the largest of 3 runs. "
        f"Machine: {cpu}, {os.cpu_count()} cores; helm {helm_version}. The charts are the corpus "
        "of [helm-compatibility.md](helm-compatibility.md) with their defaults, dependencies vendored "
        "by the harness, which first checks both render equal objects. Reproduce with "
        "`bench/helm-charts CORPUS [VENDOR_DIR]`.",
        "",
        "| | helm | cleat | helm / cleat |",
        "|---|---|---|---|",
        f"| corpus ({len(ratios)} charts), median of the per-chart ratios | | | **{statistics.median(ratios):.1f}x** |",
        f"| {LARGEST}: time | {h*1000:.0f} ms | {c*1000:.0f} ms | **{h/c:.1f}x** |",
        f"| {LARGEST}: peak memory | {rss['helm']/1024:.1f} MiB | {rss['cleat']/1024:.1f} MiB | "
        f"**{rss['helm']/rss['cleat']:.1f}x** ({100*rss['cleat']/rss['helm']:.0f}% of helm's) |",
        "",
        "<details><summary>Per chart</summary>",
        "",
        "| chart | helm | cleat | helm / cleat |",
        "|---|---|---|---|",
        *rows,
        "",
        "</details>",
        "<!-- /helm charts -->",
    ]
    existing = open(out_path).read()
    start, end = "<!-- helm charts -->", "<!-- /helm charts -->"
    if start in existing and end in existing:
        before = existing[:existing.index(start)]
        after = existing[existing.index(end) + len(end):]
    else:
        before, after = existing.rstrip("\n") + "\n\n", "\n"
    open(out_path, "w").write(before + "\n".join(lines) + after)


main()
