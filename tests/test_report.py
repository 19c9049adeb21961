#!/usr/bin/python3
"""`chokepoint report`: the HTML page renders in headless Chromium with every
section and chart, shows the file's numbers, fetches nothing, escapes what
the file says, and is written safely.

On a real `run -n 600 -o` file of the default scenario: Debian's chromium
renders the page (a PNG screenshot with content, a PDF print) and dumps its
DOM; the DOM has every section, every chart with a title, two labelled axes
and a legend; the numbers in data attributes equal the file's datasets read
with h5py bit for bit (policy table, exceedance curves, fans, losses by
industry, worst path as `replay --path worst --format csv` prints it, facts),
the policy table's cells read as `chokepoint summary` prints them, and the
exposure heat map equals the exposure computed here from the stored
scenario. A Chromium net log (every host mapped to a closed local port)
shows no request made by the page; a control page with one external image
shows that the check sees such a request. A scenario whose names hold <, &,
quotes and ESC is shown as text, with no element injected. Broken and
hostile files give one line on stderr and exit 2 with nothing at the target;
an existing target is kept without --force and replaced with it.

Usage: test_report.py CHOKEPOINT_EXE [SCENARIO_DIR]
Keeps the page and screenshot in $CKP_REPORT_KEEP (a folder) when set.
"""
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402

EXE = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))


def run(*args):
    p = subprocess.run([EXE, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


# ---- a small DOM from Chromium's --dump-dom ---------------------------------------

VOID = {"meta", "br", "hr", "img", "input", "link", "source", "col", "wbr", "area", "base"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.kids, self.text = tag, dict(attrs), parent, [], ""

    def all(self):
        yield self
        for k in self.kids:
            yield from k.all()

    def find(self, tag=None, cls=None, **attrs):
        out = []
        for n in self.all():
            if tag and n.tag != tag:
                continue
            if cls and cls not in (n.attrs.get("class") or "").split():
                continue
            if any(n.attrs.get(k.replace("_", "-")) != v for k, v in attrs.items()):
                continue
            out.append(n)
        return out

    def by_id(self, i):
        got = [n for n in self.all() if n.attrs.get("id") == i]
        return got[0] if got else None

    def alltext(self):
        return self.text + "".join(k.alltext() for k in self.kids)


class Tree(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.kids.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.kids.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent

    def handle_data(self, data):
        t = Node("#text", [], self.cur)
        t.text = data
        self.cur.kids.append(t)


def parse(text):
    t = Tree()
    t.feed(text)
    return t.root


# ---- Chromium ---------------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
QUIET = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--disable-default-apps", "--disable-extensions",
         "--disable-domain-reliability", "--disable-client-side-phishing-detection",
         # every name resolves to a closed local port: nothing can leave the machine
         "--host-resolver-rules=MAP * 127.0.0.1:9"]


def chromium(tmp, url, *extra):
    prof = tempfile.mkdtemp(dir=tmp)
    p = subprocess.run([CHROMIUM, *QUIET, "--user-data-dir=" + prof, *extra, url],
                       capture_output=True, text=True, timeout=180)
    shutil.rmtree(prof, ignore_errors=True)
    return p


def page_requests(tmp, path):
    """The URLs the page itself asked for (net log URL_REQUEST_START_JOB events of the
    page's file:// network isolation key; the browser's own background requests are
    keyed otherwise), and the DOM."""
    log = os.path.join(tmp, "net-%d.json" % len(os.listdir(tmp)))
    p = chromium(tmp, "file://" + path, "--log-net-log=" + log, "--dump-dom")
    with open(log) as f:
        d = json.load(f)
    start = d["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for e in d["events"]:
        prm = e.get("params") or {}
        if e.get("type") == start and str(prm.get("network_isolation_key", "")).startswith(
                "file://") and not str(prm.get("url", "")).startswith("file:"):
            urls.append(prm["url"])
    return urls, p.stdout


# ---- expected numbers -------------------------------------------------------------

def fnum(s):
    return {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}.get(s, None) if s in (
        "nan", "inf", "-inf") else float(s)


def same(a, b):
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        return False
    na, nb = np.isnan(a), np.isnan(b)
    return bool(np.array_equal(na, nb) and np.array_equal(a[~na].view(np.uint64),
                                                          b[~nb].view(np.uint64)))


def vals(s):
    return [fnum(x) for x in s.split()]


def stat(f, path, name):
    names = [x.decode() if isinstance(x, bytes) else x for x in f[path.rsplit("/", 1)[0] + "/stat"][()]]
    return f[path][()][..., names.index(name)]


def qcol(f, p):
    q = f["quantile"][()]
    return int(np.argmin(np.abs(q - p)))


def summary_rows(text):
    """Rows of `chokepoint summary`: name -> the columns after the name."""
    rows = {}
    lines = text.splitlines()
    # the policy table runs from its header to the first blank line (the stockout
    # probabilities follow in a table of their own)
    for ln in lines[lines.index(next(x for x in lines if x.startswith("policy"))) + 1:]:
        if not ln.strip():
            break
        parts = ln.split()
        rows[parts[0]] = parts[1:]
    return rows


def exposure(sc):
    imp = sc["importer"]
    sup = [s["name"] for s in sc["suppliers"]]
    ind = [i["name"] for i in sc["industries"]]
    out = np.zeros((len(sup), len(ind)))
    for m in sc["materials"]:
        for r in m["routes"]:
            for s in set(r["path"]):
                if s == imp:
                    continue
                for i, it in enumerate(sc["industries"]):
                    c = float((it.get("criticality") or {}).get(m["name"], 0.0))
                    out[sup.index(s), i] += c * float(r["share"])
    return out


# ---- the checks -------------------------------------------------------------------

SECTIONS = ["glance", "policies", "fans", "exceedance", "industries", "worst-path", "facts"]


def check_charts(dom, M):
    want = ["chart-exposure", "chart-exceedance", "chart-industries", "chart-worst-loss",
            "chart-worst-shortfall"] + ["chart-fan-%s-%d" % (k, m) for k in ("shortfall", "price")
                                        for m in range(M)]
    figs = {n.attrs.get("id"): n for n in dom.find("figure", cls="chart")}
    check(sorted(figs) == sorted(want), "every chart is on the page: %s" % sorted(figs))
    for i, fig in figs.items():
        title = fig.find("figcaption", cls="chart-title")
        xl, yl = fig.find("text", cls="x-label"), fig.find("text", cls="y-label")
        leg = [n for ul in fig.find("ul", cls="legend") for n in ul.find("li")]
        ok = (title and title[0].alltext().strip() and fig.find("svg") and xl and yl
              and xl[0].alltext().strip() and yl[0].alltext().strip() and leg
              and all(li.alltext().strip() for li in leg))
        check(bool(ok), "%s has a title, labelled axes and a legend" % i)
    return figs


def check_policy_table(dom, f, summ):
    names = [n.decode() if isinstance(n, bytes) else n for n in f["policy"][()]]
    rows = {r.attrs["data-policy"]: r for r in dom.by_id("policy-table").find("tr")
            if "data-policy" in r.attrs}
    check(list(rows) == names, "the policy table has every policy in run order")
    b = "policies/%s/" % names[0]
    base_cvar = stat(f, b + "summary/loss_total", "cvar99")
    i95, i99 = qcol(f, 0.95), qcol(f, 0.99)
    for n, tr in rows.items():
        g = "policies/%s/" % n
        cells = {td.attrs.get("data-col"): td for td in tr.find("td")}
        want = {"mean": stat(f, g + "summary/loss_total", "mean"),
                "p95": f[g + "quantiles/loss_total"][i95], "p99": f[g + "quantiles/loss_total"][i99],
                "cvar99": stat(f, g + "summary/loss_total", "cvar99")}
        if n != names[0]:
            c = g + "comparison/"
            want.update(benefit=f[c + "benefit_mean"][()], p_positive=f[c + "p_positive"][()],
                        bcr=f[c + "bcr"][()], cvar99_reduction=base_cvar - want["cvar99"],
                        cost=f[g].attrs["annual_cost"] if f[g].attrs["has_cost"] else np.nan)
            check(same(fnum(cells["benefit"].attrs["data-se"]), f[c + "benefit_se"][()]),
                  "%s: benefit se equals the file's" % n)
        for k, v in want.items():
            check(k in cells and same(fnum(cells[k].attrs["data-value"]), v),
                  "%s: %s equals the file's (%r)" % (n, k, v))
        # the shown text, as `chokepoint summary` prints it
        s = summ[n]
        shown = [cells[k].alltext().strip() for k in ("mean", "p95", "p99", "cvar99")]
        check(shown == [s[0], s[2], s[3], s[4]], "%s: shown %s as summary %s" % (n, shown, s[:5]))
        if n != names[0]:
            ben = cells["benefit"].alltext().replace("\u00b1", "+/-").split()
            check(ben == s[5:8] and cells["p_positive"].alltext().strip() == s[8],
                  "%s: benefit and P(b>0) shown as summary prints them" % n)
            bcr = cells["bcr"].alltext().strip()
            check((bcr == s[9]) if len(s) > 9 else bcr == "\u2013", "%s: B/C %s" % (n, bcr))


def check_curves(figs, f, names, M):
    ex = figs["chart-exceedance"]
    for n in names:
        g = [s for s in ex.find("g", cls="series") if s.attrs.get("data-policy") == n]
        e = "policies/%s/exceedance/" % n
        check(len(g) == 1 and same(vals(g[0].attrs["data-levels"]), f[e + "level"][()])
              and same(vals(g[0].attrs["data-probs"]), f[e + "prob"][()]),
              "exceedance curve of %s equals the file's" % n)
    mo = "policies/%s/month/" % names[0]
    for obs in ("shortfall", "price"):
        bandd, mean = f[mo + obs + "_band"][()], f[mo + obs + "_mean"][()]
        for m in range(M):
            fig = figs["chart-fan-%s-%d" % (obs, m)]
            poly = {p.attrs["data-series"]: p for p in fig.find("polygon")}
            gs = {s.parent.find("polyline")[0].attrs["data-series"]: s.parent
                  for s in fig.find("polyline") if s.parent.tag == "g"}
            ok = (same(vals(poly["q05-q95"].attrs["data-lower"]), bandd[:, m, qcol(f, 0.05)])
                  and same(vals(poly["q05-q95"].attrs["data-upper"]), bandd[:, m, qcol(f, 0.95)])
                  and same(vals(poly["q25-q75"].attrs["data-lower"]), bandd[:, m, qcol(f, 0.25)])
                  and same(vals(gs["median"].attrs["data-values"]), bandd[:, m, qcol(f, 0.5)])
                  and same(vals(gs["mean"].attrs["data-values"]), mean[:, m]))
            check(ok, "fan of %s, material %d equals the file's bands and mean" % (obs, m))


def check_industries(figs, dom, f, names, I):
    for n in names:
        want = stat(f, "policies/%s/summary/loss" % n, "mean")
        bars = sorted((int(r.attrs["data-industry-index"]), fnum(r.attrs["data-value"]))
                      for r in figs["chart-industries"].find("rect", cls="bar")
                      if r.attrs.get("data-policy") == n)
        cells = [fnum(td.attrs["data-value"]) for tr in dom.by_id("industry-table").find("tr")
                 for td in tr.find("td") if td.attrs.get("data-policy") == n]
        check(len(bars) == I and same([v for _, v in bars], want) and same(cells, want),
              "losses by industry of %s equal the file's means" % n)


def check_worst(dom, f, file, names):
    lt = f["policies/%s/loss_total" % names[0]][()]
    path = int(f.attrs["first_path"]) + int(np.argmax(lt))
    p = dom.by_id("worst-summary")
    check(p is not None and int(p.attrs["data-path"]) == path
          and same(fnum(p.attrs["data-loss"]), lt.max()), "worst path %d and its loss" % path)
    rc, out, _ = run("replay", file, "--path", "worst", "--format", "csv")
    short, loss = {}, {}
    mats = [m.decode() if isinstance(m, bytes) else m for m in f["material"][()]]
    for ln in out.splitlines()[1:]:
        sec, mo, item, var, v = ln.split(",")
        if sec == "material" and var == "shortfall":
            short[(int(mo), mats.index(item))] = float(v)
        if sec == "industry" and var == "loss":
            loss.setdefault(int(mo), []).append(float(v))
    rows = [r for r in dom.by_id("worst-table").find("tr") if "data-month" in r.attrs]
    ok = rc == 0 and len(rows) == int(f.attrs["horizon_months"])
    for r in rows:
        mo = int(r.attrs["data-month"])
        for td in r.find("td"):
            if "data-material-index" in td.attrs:
                ok = ok and same(fnum(td.attrs["data-value"]),
                                 short[(mo, int(td.attrs["data-material-index"]))])
            if td.attrs.get("data-col") == "loss":
                s = 0.0
                for v in loss[mo]:
                    s += v
                ok = ok and same(fnum(td.attrs["data-value"]), s)
    check(ok, "the worst path's months equal `replay --path worst`")


def check_facts(dom, f):
    dd = {n.attrs["data-key"]: n for n in dom.by_id("facts").find("dd")}
    a = f.attrs
    txt = lambda k: dd[k].alltext().strip()
    check(txt("seed") == str(int(a["seed"])), "seed shown")
    check(int(dd["paths"].attrs["data-value"]) == int(a["paths"]), "paths shown")
    check(txt("engine_version") == "chokepoint " + a["engine_version"], "engine version shown")
    check(txt("command_line") == a["command_line"], "command shown")
    check(txt("created_utc") == a["created_utc"], "creation time shown")


def check_glance(dom, f, sc):
    rows = {r.attrs["data-key"]: int(r.attrs["data-value"])
            for r in dom.by_id("sizes").find("tr") if "data-key" in r.attrs}
    want = {"suppliers": len(f["supplier"]), "regimes": len(f["regime"]),
            "materials": len(f["material"]), "industries": len(f["industry"]),
            "months": int(f.attrs["horizon_months"]), "policies": len(f["policy"]),
            "paths": int(f.attrs["paths"])}
    check(rows == want, "sizes %s" % rows)
    exp = exposure(sc)
    got = np.full(exp.shape, np.nan)
    for g in dom.by_id("chart-exposure").find("g", cls="cell"):
        got[int(g.attrs["data-supplier-index"]), int(g.attrs["data-industry-index"])] = fnum(
            g.attrs["data-value"])
    check(np.allclose(got, exp, rtol=1e-12, atol=1e-15),
          "exposure heat map equals the exposure of the stored scenario")


def check_tail(dom, f, names):
    """The tail section: every policy's VaR/CVaR and their standard errors, of the total loss
    and of the benefit, equal policies/<P>/tail/ bit for bit (NaN shown as n/a)."""
    check(dom.by_id("tail") is not None, "section tail (the file has tail/ groups)")
    for tid, what, pols in (("tail-loss-table", "loss_total", names),
                            ("tail-benefit-table", "benefit", names[1:])):
        t = dom.by_id(tid)
        check(t is not None, "table %s" % tid)
        if t is None:
            continue
        rows = {r.attrs["data-policy"]: r for r in t.find("tr") if "data-policy" in r.attrs}
        check(sorted(rows) == sorted(pols), "%s has a row per policy" % tid)
        for p in pols:
            g = f["policies/%s/tail" % p]
            cells = rows[p].find("td", cls="num") if p in rows else []
            got = [(fnum(c.attrs["data-value"]), fnum(c.attrs["data-se"])) for c in cells]
            want = list(zip(map(float, g[what][()]), map(float, g[what + "_se"][()])))
            check(len(got) == 4 and all(same(x, y) and same(u, v)
                                        for (x, u), (y, v) in zip(got, want)),
                  "%s %s: %s = tail/%s" % (tid, p, got, what))
            shown_na = ["n/a" in c.alltext() for c in cells]
            check(shown_na == [not np.isfinite(v) for _, v in want],
                  "%s %s: n/a exactly where the se is NaN" % (tid, p))


def static_checks(text, label, strict=True):
    check('http-equiv="Content-Security-Policy"' in text and "default-src 'none'" in text,
          "%s: a Content-Security-Policy forbids fetching" % label)
    tags = re.findall(r"<(script|link|img|iframe|object|embed|image|use|audio|video|base)\b",
                      text, re.I)
    attrs = re.findall(r"\s(?:src|href|xlink:href|action|srcset|poster)\s*=\s*\"(?!#)", text, re.I)
    check(not tags and not attrs and "url(" not in text and "@import" not in text,
          "%s: no element or attribute that loads anything (%s %s)" % (label, tags, attrs))
    if strict:
        check("://" not in text, "%s: no URL at all in the HTML" % label)


def main():
    if CHROMIUM is None:
        print("FAIL: chromium is not installed (apt-get install chromium; scripts/quickstart "
              "--test installs it)")
        return 1
    tmp = tempfile.mkdtemp(prefix="ckp-report-")
    try:
        return body(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def body(tmp):
    h5 = os.path.join(tmp, "r.h5")
    rc, _, err = run("run", "-n", "2000", "-q", "-o", h5)  # 2000: the 95 % tail has standard errors
    check(rc == 0, "run -o: %s" % err.strip())
    page = os.path.join(tmp, "r.html")
    rc, out, err = run("report", h5, "-o", page)
    check(rc == 0 and out == "" and err == "", "report exits 0 silently: %s" % err.strip())
    check(sorted(os.listdir(tmp)) == ["r.h5", "r.html"], "no temporary file left")
    text = open(page, encoding="utf-8").read()
    static_checks(text, "default scenario")

    urls, dump = page_requests(tmp, page)
    check(urls == [], "the page makes no request: %s" % urls)
    ctl = os.path.join(tmp, "control.html")
    with open(ctl, "w") as fp:
        fp.write('<!DOCTYPE html><img src="http://report-test.invalid/x.png">')
    curls, _ = page_requests(tmp, ctl)
    check(curls == ["http://report-test.invalid/x.png"],
          "the net-log check sees a control page's request: %s" % curls)

    dom = parse(dump)
    for s in SECTIONS:
        n = dom.by_id(s)
        check(n is not None and n.tag == "section" and n.find("h2"), "section %s" % s)
    with h5py.File(h5, "r") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["policy"][()]]
        M, I = len(f["material"]), len(f["industry"])
        sc = yaml.safe_load(f.attrs["scenario_resolved"])
        figs = check_charts(dom, M)
        rc, summ, _ = run("summary", h5)
        check_policy_table(dom, f, summary_rows(summ))
        check_curves(figs, f, names, M)
        check_industries(figs, dom, f, names, I)
        check_worst(dom, f, h5, names)
        check_facts(dom, f)
        check_glance(dom, f, sc)
        check_tail(dom, f, names)

    shot = os.path.join(tmp, "shot.png")
    chromium(tmp, "file://" + page, "--screenshot=" + shot, "--window-size=1240,8000")
    try:
        from PIL import Image
        im = Image.open(shot).convert("RGB")
        colours = len(im.getcolors(1 << 20) or [])
        check(im.size == (1240, 8000) and colours > 50, "screenshot has content (%d colours)"
              % colours)
    except (OSError, ImportError) as e:
        check(False, "screenshot: %s" % e)
    pdf = os.path.join(tmp, "r.pdf")
    chromium(tmp, "file://" + page, "--print-to-pdf=" + pdf, "--no-pdf-header-footer")
    with open(pdf, "rb") as fp:
        data = fp.read()
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    check(data.startswith(b"%PDF") and pages >= 3, "prints to PDF (%d pages)" % pages)
    keep = os.environ.get("CKP_REPORT_KEEP")
    if keep:
        os.makedirs(keep, exist_ok=True)
        for p in (page, shot, pdf):
            shutil.copy(p, keep)

    check(dom.by_id("sensitivity") is None, "a run's page has no sensitivity section")
    sensitivity(tmp)
    hostile_names(tmp)
    safe_write(tmp, h5, page)
    return checks.status()


def sensitivity(tmp):
    """A file of `chokepoint sensitivity -o`: the tornado's bars and the tables equal the
    group's numbers, in the group's order."""
    h5 = os.path.join(tmp, "s.h5")
    rc, _, err = run("sensitivity", "-n", "400", "-q", "-o", h5,
                     "--vary", "suppliers[CN].transitions.licensing.restricted=0.01,0.06",
                     "--vary", "materials[NdPr].stockpile.days=45,180")
    check(rc == 0, "sensitivity -o: %s" % err.strip())
    page = os.path.join(tmp, "s.html")
    rc, _, err = run("report", h5, "-o", page)
    check(rc == 0, "report of a sensitivity file: %s" % err.strip())
    static_checks(open(page, encoding="utf-8").read(), "sensitivity file")
    _, dump = page_requests(tmp, page)
    dom = parse(dump)
    sec = dom.by_id("sensitivity")
    check(sec is not None and sec.tag == "section", "section sensitivity")
    if sec is None:
        return
    fig = dom.by_id("chart-tornado")
    check(fig is not None and fig.tag == "figure", "tornado chart")
    with h5py.File(h5, "r") as f:
        g = f["sensitivity"]
        order, lm = list(g["order"][()]), g["loss_mean"][()]
        bars = fig.find("rect", cls="bar") if fig else []
        got = [(int(b.attrs["data-key-index"]), b.attrs["data-swing"], fnum(b.attrs["data-value"]))
               for b in bars]
        want = [(int(k), sw, float(lm[k, i])) for k in order for i, sw in enumerate(("low", "high"))]
        check(got == want, "tornado bars are loss_mean in the group's order: %s" % got)
        base = fig.find("line", cls="base-line") if fig else []
        check(len(base) == 1 and fnum(base[0].attrs["data-value"]) == float(g["base_loss_mean"][()]),
              "the tornado's line is the unswung mean")
        rows = dom.by_id("regret-table").find("tr")[1:]
        short = g["shortfall"][()]
        cells = [[fnum(c.attrs["data-value"]) for c in r.find("td", cls="num")] for r in rows]
        want = [list(map(float, short[k, i])) for k in order for i in range(2)]
        check(cells == want, "regret table equals sensitivity/shortfall")


def hostile_names(tmp):
    sdir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "scenarios", "good")
    s = open(os.path.join(sdir, "base.yaml")).read()
    s = s.replace("name: base\n", 'name: "<script>x</script> & \\"q\\" \'s\' \\e[31m"\n'
                  'description: "A </style><img src=http://evil.example/x.png> & \\e[0m"\n'
                  'currency: "E<R>"\n')
    s = s.replace("name: autos", 'name: "<b>autos</b>&amp;"')
    s += ('policies:\n  - name: "p<1>&\\"x\\""\n'
          '    description: "<iframe src=\'https://evil.example/\'></iframe> \\e]8;;http://x"\n'
          '    annual_cost: 2.5e6\n    changes:\n      materials:\n        - name: NdPr\n'
          '          stockpile: {days: 120}\n')
    sy = os.path.join(tmp, "hostile.yaml")
    open(sy, "w").write(s)
    h5, page = os.path.join(tmp, "h.h5"), os.path.join(tmp, "h.html")
    rc, _, err = run("run", sy, "-n", "200", "-q", "-o", h5)
    check(rc == 0, "run of the scenario with hostile names: %s" % err.strip())
    rc, _, err = run("report", h5, "-o", page)
    check(rc == 0, "report of it: %s" % err.strip())
    text = open(page, encoding="utf-8").read()
    static_checks(text, "hostile names", strict=False)
    urls, dump = page_requests(tmp, page)
    check(urls == [], "hostile names: no request: %s" % urls)
    dom = parse(dump)
    bad = [n.tag for n in dom.all() if n.tag in ("script", "img", "iframe", "b")]
    check(bad == [], "no element injected by a name: %s" % bad)
    check(dom.find("h1")[0].alltext() == "<script>x</script> & \"q\" 's' \u241b[31m",
          "the scenario name is shown as text, ESC as its control picture")
    desc = [li.alltext() for li in dom.by_id("policies").find("li")]
    check(any("<iframe src='https://evil.example/'></iframe> \u241b]8;;http://x" in d for d in desc),
          "a policy description is shown as text")
    rows = [r.attrs.get("data-policy") for r in dom.by_id("policy-table").find("tr")]
    check('p<1>&"x"' in rows, "a policy name survives in its attribute")


def safe_write(tmp, h5, page):
    before = open(page, "rb").read()
    rc, _, err = run("report", h5, "-o", page)
    check(rc == 1 and "--force" in err and open(page, "rb").read() == before,
          "an existing page is kept without --force (exit %d: %s)" % (rc, err.strip()))
    os.utime(page, (0, 0))
    rc, _, err = run("report", h5, "-o", page, "--force")
    check(rc == 0 and os.stat(page).st_mtime > 0, "--force replaces it")

    def broken(label, make, code=2):
        d = tempfile.mkdtemp(dir=tmp)
        src = os.path.join(d, "in.h5")
        make(src)
        out = os.path.join(d, "out.html")
        rc, so, err = run("report", src, "-o", out)
        lines = err.strip().splitlines()
        check(rc == code and len(lines) == 1 and lines[0].startswith("chokepoint report: ")
              and not any(n.startswith(".out.html") for n in os.listdir(d))
              and not os.path.exists(out),
              "%s: exit %d, one line, nothing written (%s)" % (label, rc, err.strip()))

    def copy_edit(edit):
        def make(p):
            shutil.copy(h5, p)
            with h5py.File(p, "r+") as f:
                edit(f)
        return make

    broken("missing file", lambda p: None)
    broken("not HDF5", lambda p: open(p, "w").write("<html>not a results file</html>\n"))
    broken("truncated", lambda p: open(p, "wb").write(open(h5, "rb").read()[:50000]))
    broken("a directory", lambda p: os.mkdir(p))
    broken("incomplete", copy_edit(lambda f: f.attrs.modify("complete", np.int32(0))))
    broken("newer schema", copy_edit(lambda f: f.attrs.modify("schema_version", np.int32(99))))

    def reshape(f):
        n = "policies/baseline/exceedance/prob"
        del f[n]
        f[n] = np.zeros(7)
    broken("exceedance curve of the wrong length", copy_edit(reshape))

    def loss_summary(f):
        n = "policies/baseline/summary/loss"
        del f[n]
        f[n] = np.zeros((3, 10))
    broken("industry summary of the wrong shape", copy_edit(loss_summary))
    broken("other quantile probabilities",
           copy_edit(lambda f: f["quantile"].__setitem__(8, 0.9)))
    broken("stored scenario that does not load",
           copy_edit(lambda f: f.attrs.modify("scenario_resolved", "name: [unclosed\n")))


if __name__ == "__main__":
    sys.exit(main())
