#!/usr/bin/python3
"""panel_browser.py - the admin panel in headless chromium (issue 15).

Run by tests/t_panel_browser.sh, which seeds the database, starts
tally-admin and passes what it made in the environment:
  PANEL_BASE           http://127.0.0.1:PORT
  PANEL_ADMIN          an admin user's name (role admin)
  PANEL_PASSWORD_FILE  its password
  PANEL_OUT            where the screenshots go (PAGE.png)
  PANEL_TMP            a private temporary directory (browser profile)
  PANEL_SUSPEND_ID     an AVAILABLE account to suspend through its form
  PANEL_CSRF_ID        an AVAILABLE account a token-less form must not touch
  PANEL_USER_ID        an image user, for the user detail page
  TALLY_BINDIR, TALLY_DATABASE_URL (tests/run.sh), TALLY_CONFIG (the
  servers' configuration, for tallyctl status)

Prints "ok - ..." / "not ok - ..." per check; exits 1 if any failed, or
if chromium cannot start at all (never a skip: CI installs it).

Waits are for states (an element, a URL, a row's status), with a
generous safety limit so a broken page fails instead of hanging.
"""
import json
import os
import re
import subprocess
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import (NoAlertPresentException,
                                        TimeoutException, WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ["PANEL_BASE"]
ADMIN = os.environ["PANEL_ADMIN"]
with open(os.environ["PANEL_PASSWORD_FILE"], encoding="utf-8") as f:
    PASSWORD = f.read().rstrip("\n")
OUT = os.environ["PANEL_OUT"]
TMP = os.environ["PANEL_TMP"]
SUSPEND_ID = os.environ["PANEL_SUSPEND_ID"]
CSRF_ID = os.environ["PANEL_CSRF_ID"]
USER_ID = os.environ["PANEL_USER_ID"]
BIN = os.environ["TALLY_BINDIR"]
DB = os.environ["TALLY_DATABASE_URL"]

# A safety limit, not a pause: every wait returns as soon as its
# condition holds.
LIMIT = 60
WIDTH, HEIGHT = 1280, 900
XSS = "<script>alert(1)</script>"

# Pages of the navigation (docs/PANEL.md, Pages), by their screenshot's name.
PAGES = [
    ("dashboard", "/admin"),
    ("accounts", "/admin/accounts"),
    ("assignments", "/admin/assignments"),
    ("orders", "/admin/orders"),
    ("users", "/admin/users"),
    ("user", "/admin/users/" + USER_ID),
    ("models", "/admin/models"),
    ("reports", "/admin/reports"),
    ("cases", "/admin/cases"),
    ("audit", "/admin/audit"),
    ("access", "/admin/access"),
]

results = []  # (name, ok, why)


class Failed(Exception):
    """A check that does not hold; its message says what was seen."""


def check(cond, why):
    if not cond:
        raise Failed(why)


def report(name, ok, why=""):
    results.append((name, ok, why))
    if ok:
        print("ok - " + name, flush=True)
    else:
        print("not ok - %s: %s" % (name, why), flush=True)


# ---- around the browser -------------------------------------------------


def start_browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    args = [
        "--headless=new",
        "--window-size=%d,%d" % (WIDTH, HEIGHT),
        "--force-device-scale-factor=1",
        "--hide-scrollbars",
        "--user-data-dir=" + os.path.join(TMP, "profile"),
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--lang=en-US",
        "--font-render-hinting=none",
    ]
    # chromium's sandbox refuses to start as root; as anyone else keep it
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    for a in args:
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # the packaged driver, named: selenium must not look for one online
    service = Service(executable_path="/usr/bin/chromedriver",
                      log_path=os.path.join(TMP, "chromedriver.log"))
    return webdriver.Chrome(service=service, options=opts)


def wait(d, cond, what):
    try:
        return WebDriverWait(d, LIMIT).until(cond)
    except TimeoutException:
        raise Failed("waited in vain for " + what + " (at " + d.current_url + ")")


def path_of(url):
    return urllib.parse.urlsplit(url).path


def query_of(url):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)


def go(d, path):
    """Open a page and wait until its document has loaded."""
    d.get(BASE + path)
    wait(d, lambda x: x.execute_script("return document.readyState") == "complete",
         "the page to load")


def shot(d, name):
    """The whole page, 1280 pixels wide, as OUT/NAME.png."""
    h = d.execute_script(
        "return Math.max(document.documentElement.scrollHeight,"
        " document.body ? document.body.scrollHeight : 0)")
    h = max(HEIGHT, min(int(h or HEIGHT), 6000))
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": WIDTH, "height": h, "deviceScaleFactor": 1, "mobile": False})
    try:
        d.save_screenshot(os.path.join(OUT, name + ".png"))
    finally:
        d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def console_errors(d):
    """What the page said on the console since the last call: errors,
    and any Content-Security-Policy report whatever its level."""
    bad = []
    for e in d.get_log("browser"):
        msg = e.get("message", "")
        # chromium asks every site for /favicon.ico by itself; a 404 there
        # is no fault of the page (noted, not counted)
        if msg.split(" ")[0].endswith("/favicon.ico"):
            print("# note: " + msg)
        elif e.get("level") == "SEVERE" or "Content Security Policy" in msg:
            bad.append(msg)
    return bad


def no_alert(d):
    try:
        a = d.switch_to.alert
        text = a.text
        a.dismiss()
        return "an alert is open: " + repr(text)
    except NoAlertPresentException:
        return None


def injected_scripts(d):
    """Script elements other than the panel's own static file."""
    out = []
    for s in d.find_elements(By.TAG_NAME, "script"):
        src = s.get_attribute("src") or ""
        if not src.startswith(BASE + "/admin/static/"):
            out.append(src or (s.get_attribute("textContent") or "")[:80])
    return out


def form_of(d, button):
    """The form a button submits (also one tied by form=ID)."""
    f = d.execute_script("return arguments[0].form", button)
    check(f is not None, "the button is in no form")
    return f


def field_of(d, form, name):
    e = d.execute_script(
        "return arguments[0].elements.namedItem(arguments[1])", form, name)
    check(e is not None, "the form has no field '%s'" % name)
    return e


def account_button(d, account_id, cls):
    rows = d.find_elements(By.ID, "account-" + account_id)
    check(rows, "%s has no row #account-%s" % (path_of(d.current_url), account_id))
    row = rows[0]
    # the button (its form may carry the class too)
    buttons = row.find_elements(By.CSS_SELECTOR, "button.%s, input[type=submit].%s"
                                % (cls, cls))
    check(buttons, "row #account-%s has no .%s button" % (account_id, cls))
    return buttons[0]


def click_and_wait(d, element, confirm=None):
    """Click a form's button or a link and wait for the next page (a POST's
    303 target, its refusal, the link's page) to have replaced this one.
    The old page is marked on its window object, which a new document does
    not have; while chromium swaps documents a question may fail (a node
    "not in the document"), so failures only mean "ask again".  confirm:
    the form asks first (data-confirm, panel.js), with a question holding
    that text; it is answered yes."""
    d.execute_script("window.panelBrowserOld = true")
    element.click()
    if confirm is not None:
        try:
            WebDriverWait(d, LIMIT, ignored_exceptions=(
                NoAlertPresentException,)).until(
                lambda x: x.switch_to.alert is not None)
        except TimeoutException:
            raise Failed("the form sent without asking (data-confirm)")
        question = d.switch_to.alert.text
        check(confirm in question, "the form asked %r" % question)
        d.switch_to.alert.accept()
    try:
        WebDriverWait(d, LIMIT, ignored_exceptions=(WebDriverException,)).until(
            lambda x: x.execute_script(
                "return window.panelBrowserOld === undefined"
                " && document.readyState === 'complete'"))
    except TimeoutException:
        raise Failed("waited in vain for the page after the click (at %s)"
                     % d.current_url)


# ---- around the server, without the browser -----------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http(path, cookies=None, data=None):
    """(status, headers, body) of one request, redirects not followed."""
    req = urllib.request.Request(BASE + path, data=data)
    if cookies:
        req.add_header("Cookie", "; ".join(
            "%s=%s" % (c["name"], c["value"]) for c in cookies))
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with _opener.open(req, timeout=LIMIT) as r:
            return r.status, r.headers, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


def ctl(*args):
    """tallyctl's JSON answer."""
    p = subprocess.run([os.path.join(BIN, "tallyctl")] + list(args),
                       capture_output=True, text=True, check=False)
    check(p.returncode in (0, 1), "tallyctl %s: exit %d: %s" % (
        " ".join(args), p.returncode, p.stderr.strip()))
    return json.loads(p.stdout)


def sql(query):
    p = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                        DB, "-c", query], capture_output=True, text=True,
                       check=True)
    return p.stdout.strip()


def account_status(account_id):
    doc = ctl("account", "show", account_id, "--json")
    return doc.get("account", doc)["status"]


def dig(doc, dotted):
    """doc's value at a dotted path (a.b.0.c); KeyError if there is none."""
    v = doc
    for part in dotted.split("."):
        if isinstance(v, list) and part.isdigit() and int(part) < len(v):
            v = v[int(part)]
        elif isinstance(v, dict) and part in v:
            v = v[part]
        else:
            raise KeyError(dotted)
    return v


def number(text):
    """A whole number as the page prints it (signs, thousands separators)."""
    t = re.sub(r"[\s,\u00a0\u202f]", "", text)
    m = re.fullmatch(r"[-\u2212]?\d+", t)
    if m is None:
        return None
    return int(t.replace("\u2212", "-"))


def same_figure(text, before, after):
    """The figure as shown equals the status value: the value read just
    before or just after the page, or in between for a figure that grows
    with the clock (an age in seconds)."""
    text = text.strip()
    for v in (before, after):
        if v is None and text in ("", "-", "\u2014", "none", "n/a"):
            return True
        if isinstance(v, bool):
            if text.lower() in (("true", "yes") if v else ("false", "no")):
                return True
        elif isinstance(v, int):
            if number(text) == v:
                return True
        elif v is not None and text == str(v):
            return True
    n = number(text)
    return (isinstance(before, int) and isinstance(after, int)
            and n is not None and before <= n <= after)


# ---- the tests ------------------------------------------------------------


def t_logged_out(d):
    """A logged-out visitor is sent to the login page, and comes back."""
    for page in ("/admin", "/admin/accounts"):
        st, hdr, _ = http(page)
        check(st == 303, "a logged-out GET %s answered %d, not 303" % (page, st))
        loc = hdr.get("Location", "")
        # the dashboard is where a login goes anyway: next may be left out
        nxt = query_of(loc).get("next", ["/admin"] if page == "/admin" else [])
        check(path_of(loc) == "/admin/login" and nxt == [page],
              "303 to %r, not /admin/login?next=%s" % (loc, page))
    go(d, "/admin/accounts")
    check(path_of(d.current_url) == "/admin/login",
          "the browser is at %s, not the login page" % d.current_url)
    form = d.find_elements(By.ID, "login")
    check(form, "the login page has no form#login")
    for name in ("name", "password"):
        check(form[0].find_elements(By.NAME, name),
              "form#login has no field '%s'" % name)
    errs = console_errors(d)
    check(not errs, "console errors on the login page: %s" % errs)
    shot(d, "login")


def log_in(d):
    """Log in on the login page a visitor to the accounts page was sent
    to; the panel then shows ?next=, the accounts page."""
    go(d, "/admin/login?next=%2Fadmin%2Faccounts")
    forms = d.find_elements(By.ID, "login")
    check(forms, "/admin/login has no form#login")
    form = forms[0]
    form.find_element(By.NAME, "name").send_keys(ADMIN)
    form.find_element(By.NAME, "password").send_keys(PASSWORD)
    buttons = form.find_elements(By.CSS_SELECTOR,
                                 "button[type=submit], input[type=submit], button:not([type])")
    check(buttons, "form#login has no submit button")
    click_and_wait(d, buttons[0])
    check(path_of(d.current_url) == "/admin/accounts",
          "after logging in the browser is at %s, not next=/admin/accounts"
          % d.current_url)
    check(any(c["name"] for c in d.get_cookies()), "no session cookie")


def t_dashboard(d):
    """Logged in, the dashboard's figures are tallyctl status --json's."""
    before = ctl("status", "--json")
    go(d, "/admin")
    after = ctl("status", "--json")
    check(path_of(d.current_url) in ("/admin", "/admin/"),
          "the dashboard is at %s" % d.current_url)
    figs = d.find_elements(By.CSS_SELECTOR, ".figure[data-key]")
    check(figs, "the dashboard has no .figure[data-key]")
    wrong = []
    for f in figs:
        key = f.get_attribute("data-key")
        text = f.text
        try:
            b, a = dig(before, key), dig(after, key)
        except KeyError:
            wrong.append("%s=%r: not a key of tallyctl status --json" % (key, text))
            continue
        if not same_figure(text, b, a):
            wrong.append("%s shows %r, tallyctl status says %r" % (key, text, a))
    check(not wrong, "; ".join(wrong))
    check(d.find_elements(By.CSS_SELECTOR, "main svg"),
          "the dashboard has no inline svg chart")
    print("# dashboard: %d figures equal tallyctl status --json: %s" % (
        len(figs), " ".join(sorted({f.get_attribute("data-key") for f in figs}))))


def balances(d):
    rows = d.find_elements(By.CSS_SELECTOR, "tr[id^='user-']")
    check(rows, "the users page has no tr#user-{id} rows")
    out = []
    for r in rows:
        cells = r.find_elements(By.CSS_SELECTOR, ".balance")
        check(cells, "row %s has no .balance cell" % r.get_attribute("id"))
        n = number(cells[0].text)
        check(n is not None, "row %s: balance %r is not a number" % (
            r.get_attribute("id"), cells[0].text))
        out.append((r.get_attribute("id")[len("user-"):], n))
    return out


def t_sort_users(d):
    """Clicking the balance header sorts the rows by balance; clicking it
    again turns the order."""
    go(d, "/admin/users")
    seen = []
    for click in (1, 2):
        links = d.find_elements(By.CSS_SELECTOR, "a.sort[data-sort=balance]")
        check(links, "/admin/users has no header a.sort[data-sort=balance]")
        link = links[0]
        click_and_wait(d, link)
        wait(d, lambda x: query_of(x.current_url).get("sort") == ["balance"],
             "?sort=balance in the URL")
        order = query_of(d.current_url).get("order", ["desc"])[0]
        check(order in ("asc", "desc"), "order=%s in %s" % (order, d.current_url))
        rows = balances(d)
        got = [b for _, b in rows]
        want = sorted(got, reverse=(order == "desc"))
        check(got == want, "click %d: balances %s are not in %s order" % (
            click, got, order))
        # the same rows as tallyctl lists in that order
        listed = ctl("user", "list", "--sort", "balance", "--order", order,
                     "--json")
        items = listed["items"] if isinstance(listed, dict) else listed
        check(got == [int(u["balance"]) for u in items][:len(got)],
              "click %d: the page's balances %s, tallyctl user list's %s"
              % (click, got, [u["balance"] for u in items]))
        check(len(set(got)) > 1, "all balances are equal: nothing was sorted")
        seen.append(order)
        if click == 1:
            shot(d, "users-by-balance")
    check(seen[0] != seen[1],
          "a second click on the header kept order=%s" % seen[0])


def audit_row(d, action, entity_id):
    """Text of the /admin/audit rows that name the action by our admin."""
    go(d, "/admin/audit")
    rows = [r.text for r in d.find_elements(By.CSS_SELECTOR, "tr")]
    return [t for t in rows if action in t and "admin:" + ADMIN in t
            and re.search(r"\b%s\b" % re.escape(entity_id), t)]


def t_suspend(d):
    """Suspend an account through its form; the audit has it, by admin:NAME."""
    check(account_status(SUSPEND_ID) == "AVAILABLE",
          "account %s is not AVAILABLE before the test" % SUSPEND_ID)
    go(d, "/admin/accounts")
    b = account_button(d, SUSPEND_ID, "suspend")
    form = form_of(d, b)
    note = "password reset needed (browser test)"
    field_of(d, form, "note").send_keys(note)
    # a suspension is asked about first (panel.js); answered yes
    click_and_wait(d, b, confirm="Suspend this account?")
    notices = d.find_elements(By.CSS_SELECTOR, "p.notice")
    errors = d.find_elements(By.CSS_SELECTOR, "div.error[role=alert]")
    check(not errors, "the panel answered an error: %s" % (
        errors[0].text if errors else ""))
    check(notices, "no p.notice after the change (at %s)" % d.current_url)
    check(account_status(SUSPEND_ID) == "SUSPENDED",
          "account %s is %s after the form" % (SUSPEND_ID, account_status(SUSPEND_ID)))
    audit = ctl("audit", "list", "--entity", "account", "--entity-id", SUSPEND_ID,
                "--action", "account.suspend", "--json")
    items = audit["items"] if isinstance(audit, dict) else audit
    check(items, "tallyctl audit list has no account.suspend of %s" % SUSPEND_ID)
    check(items[0]["actor"] == "admin:" + ADMIN,
          "the audit entry's actor is %r, not admin:%s" % (items[0]["actor"], ADMIN))
    check(items[0]["reason"] == note,
          "the audit entry's reason is %r" % items[0]["reason"])
    rows = audit_row(d, "account.suspend", SUSPEND_ID)
    check(rows, "/admin/audit shows no row with account.suspend, account %s "
          "and admin:%s" % (SUSPEND_ID, ADMIN))
    shot(d, "audit-after-suspend")


def t_script_note(d):
    """A note with <script> is shown as text: found on the pages, never run."""
    go(d, "/admin/accounts")
    b = account_button(d, SUSPEND_ID, "reactivate")
    form = form_of(d, b)
    field_of(d, form, "note").send_keys(XSS + " reset done")
    click_and_wait(d, b)
    alert = no_alert(d)
    check(alert is None, alert or "")
    check(account_status(SUSPEND_ID) == "AVAILABLE",
          "account %s is not AVAILABLE after reactivate" % SUSPEND_ID)
    shown = []
    for page in ("/admin/accounts", "/admin/audit"):
        go(d, page)
        alert = no_alert(d)
        check(alert is None, "%s: %s" % (page, alert))
        extra = injected_scripts(d)
        check(not extra, "%s: script elements besides the panel's: %s" % (page, extra))
        if XSS in d.find_element(By.TAG_NAME, "body").text:
            shown.append(page)
        # the bytes as served: escaped, never the tag
        st, _, body = http(page, d.get_cookies())
        check(st == 200, "GET %s: %d" % (page, st))
        check(XSS not in body, "%s serves the note's <script> unescaped" % page)
    check(shown, "the note's text %r is on neither /admin/accounts nor "
          "/admin/audit" % XSS)
    # typed into a search, and so given back in the search field
    page = "/admin/users?search=" + urllib.parse.quote(XSS)
    go(d, page)
    alert = no_alert(d)
    check(alert is None, "%s: %s" % (page, alert))
    extra = injected_scripts(d)
    check(not extra, "%s: script elements besides the panel's: %s" % (page, extra))
    field = d.find_elements(By.CSS_SELECTOR, "input[name=search]")
    check(field and field[0].get_attribute("value") == XSS,
          "/admin/users does not give the search back as typed")
    print("# the note shows as text on: " + " ".join(shown))
    go(d, "/admin/accounts")
    shot(d, "accounts-script-note")


def t_csrf(d):
    """A form posted without its CSRF token is refused (403), changes nothing."""
    check(account_status(CSRF_ID) == "AVAILABLE",
          "account %s is not AVAILABLE before the test" % CSRF_ID)
    # the logout form, without its token: refused, the session holds
    cookies = d.get_cookies()
    st, _, _ = http("/admin/logout", cookies, b"")
    check(st == 403, "POST /admin/logout without a token: %d, not 403" % st)
    st, _, _ = http("/admin", cookies)
    check(st == 200, "after the refused logout GET /admin answers %d" % st)
    path = "/admin/accounts/%s/suspend" % CSRF_ID
    last = sql("SELECT coalesce(max(id), 0) FROM admin_access_log")
    go(d, "/admin/accounts")
    b = account_button(d, CSRF_ID, "suspend")
    form = form_of(d, b)
    field_of(d, form, "note").send_keys("no token")
    # the test's own script (webdriver), not the page's: the CSP is not
    # in its way
    d.execute_script("arguments[0].remove()", field_of(d, form, "csrf"))
    click_and_wait(d, b, confirm="Suspend this account?")
    shot(d, "csrf-refused")
    status = sql("SELECT string_agg(status::text, ',') FROM admin_access_log "
                 "WHERE id > %d AND method = 'POST' AND path = '%s'" % (int(last), path))
    check(status == "403", "the token-less POST %s was answered %r, not 403"
          % (path, status))
    # and without a browser: no token, a wrong one
    cookies = d.get_cookies()
    for body in ({"note": "no token"}, {"note": "forged", "csrf": "0" * 43}):
        st, _, _ = http(path, cookies, urllib.parse.urlencode(body).encode())
        check(st == 403, "POST %s with %s: %d, not 403" % (
            path, sorted(body), st))
    check(account_status(CSRF_ID) == "AVAILABLE",
          "account %s changed: %s" % (CSRF_ID, account_status(CSRF_ID)))
    audit = ctl("audit", "list", "--entity", "account", "--entity-id", CSRF_ID,
                "--action", "account.suspend", "--json")
    items = audit["items"] if isinstance(audit, dict) else audit
    check(not items, "an audit entry for the refused suspend: %s" % items)


def t_pages(d):
    """Every page answers 200 with the panel's headers, shows without a
    console error (a CSP violation is one), and is photographed."""
    cookies = d.get_cookies()
    go(d, "/admin")
    navs = {path_of(a.get_attribute("href"))
            for a in d.find_elements(By.CSS_SELECTOR, "nav a[href]")}
    paths = [p for _, p in PAGES]
    extra = sorted(p for p in navs if p.startswith("/admin") and p not in paths
                   and p.rstrip("/") not in paths)
    missing = sorted(p for p in paths[1:] if p not in navs and p != "/admin/users/" + USER_ID)
    bad = []
    if missing:
        bad.append("not in the navigation: %s" % " ".join(missing))
    console_errors(d)
    for name, path in PAGES + [(p.strip("/").replace("/", "-"), p) for p in extra]:
        st, hdr, _ = http(path, cookies)
        if st != 200:
            bad.append("GET %s: %d" % (path, st))
            continue
        csp = hdr.get("Content-Security-Policy", "")
        if "script-src 'self'" not in csp or "unsafe-inline" in csp:
            bad.append("%s: Content-Security-Policy %r" % (path, csp))
        if hdr.get("X-Frame-Options", "").upper() != "DENY":
            bad.append("%s: X-Frame-Options %r" % (path, hdr.get("X-Frame-Options")))
        if "no-store" not in hdr.get("Cache-Control", ""):
            bad.append("%s: Cache-Control %r" % (path, hdr.get("Cache-Control")))
        go(d, path)
        if not d.find_elements(By.TAG_NAME, "main"):
            bad.append("%s: no <main>" % path)
        errs = console_errors(d)
        if errs:
            bad.append("%s: console: %s" % (path, " | ".join(errs)))
        shot(d, name)
    check(not bad, "; ".join(bad))
    print("# screenshots: " + " ".join(sorted(os.listdir(OUT))))


def t_logout(d):
    """The logout button ends the session: the pages are the login's again."""
    go(d, "/admin")
    b = d.find_elements(By.ID, "logout")
    check(b, "no #logout button")
    old = d.get_cookies()
    click_and_wait(d, b[0])
    for page in ("/admin", "/admin/users"):
        go(d, page)
        check(path_of(d.current_url) == "/admin/login",
              "after logout %s shows %s" % (page, d.current_url))
        st, _, _ = http(page, old)
        check(st == 303, "the old session cookie still opens %s: %d" % (page, st))


def run(name, fn, d):
    try:
        fn(d)
        report(name, True)
        return True
    except Failed as e:
        why = str(e)
    except WebDriverException as e:
        why = "browser: " + (e.msg or repr(e)).splitlines()[0]
    except Exception as e:  # a bug in a page shows as a failed test
        why = "%s: %s" % (type(e).__name__, e)
        traceback.print_exc()
    report(name, False, why)
    try:
        shot(d, "FAILED-" + re.sub(r"[^a-z0-9]+", "-", name.lower())[:40].strip("-"))
    except Exception:
        pass
    return False


def main():
    os.makedirs(OUT, exist_ok=True)
    try:
        d = start_browser()
    except Exception as e:
        print("not ok - chromium could not start (make deps installs chromium, "
              "chromium-driver, python3-selenium): %s" % e)
        log = os.path.join(TMP, "chromedriver.log")
        if os.path.exists(log):
            with open(log, encoding="utf-8", errors="replace") as f:
                print(f.read()[-3000:])
        return 1
    try:
        d.set_window_size(WIDTH, HEIGHT)
        run("logged-out visitor is sent to the login page", t_logged_out, d)
        logged_in = run("log in", log_in, d)
        if not logged_in:
            print("# not logged in: the tests after login cannot run")
        else:
            run("dashboard figures equal tallyctl status --json", t_dashboard, d)
            run("every page answers 200 without console errors", t_pages, d)
            run("sort users by balance by clicking the header", t_sort_users, d)
            run("suspend an account through its form, audited as admin:" + ADMIN,
                t_suspend, d)
            run("a note with <script> is shown as text", t_script_note, d)
            run("a form without its CSRF token is refused (403)", t_csrf, d)
            run("logout sends the visitor to the login page again",
                t_logout, d)
    finally:
        d.quit()
    failed = [n for n, ok, _ in results if not ok]
    print("# panel-browser: %d of %d checks hold" % (
        len(results) - len(failed), len(results)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
