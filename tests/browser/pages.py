"""Every page of the site, as the role it is for, for the browser tests that scan them all.

`PAGES` lists (name, path, username): the world of tests/security/world.py has one user of each
role. The scan helpers read what a person sees after the page's scripts ran: text nodes and the
attributes read aloud (placeholder, aria-label, title, alt, value of buttons), skipping data —
elements marked `translate="no"` (names of places, people, schools, event types, case numbers:
the standard HTML way to say "this is not to be translated").
"""
from __future__ import annotations

from django.urls import NoReverseMatch, reverse

WAIT_MS = 60_000  # an upper bound for waiting on the page (a cold live server); speed is measured in bench/

# (name, URL name and args, username or None for anonymous); a route that does not exist in this
# checkout is left out (see `pages`).
PAGE_TABLE = [
    ("zone-map", ("zone-map", []), "district_operator"),
    ("login", ("login", []), None),
    ("console", ("console", []), "district_operator"),
    ("console-forbidden", ("console", []), "citizen"),
    ("tablet", ("tablet", []), "grid_worker"),
    ("education", ("education-planner", []), "planner"),
    ("education-forbidden", ("education-planner", []), "citizen"),
    ("approvals-map", ("approvals-map", []), "citizen"),
    ("approvals-apply", ("approvals-apply", []), "citizen"),
    ("approvals-desk-clerk", ("approvals-desk", []), "counter_clerk"),
    ("approvals-desk-reviewer", ("approvals-desk", []), "reviewer"),
    ("approvals-desk-forbidden", ("approvals-desk", []), "citizen"),
    ("hall-screen", ("approvals-hall-screen", ["hall"]), None),
    ("ledger", ("ledger:home", []), "citizen"),
    ("ledger-vendor", ("ledger:vendor-page", ["vendor"]), None),
    ("ledger-corrections", ("ledger:corrections", []), "justice_officer"),
    ("ledger-corrections-forbidden", ("ledger:corrections", []), "district_operator"),
    ("screen", ("screen", []), "district_operator"),
]


def pages(world) -> list[tuple[str, str, str | None]]:
    args = {"hall": world["hall"].code, "vendor": getattr(world["vendor"], "code", None)}
    found = []
    for name, (route, route_args), username in PAGE_TABLE:
        try:
            path = reverse(route, args=[args[a] for a in route_args])
        except NoReverseMatch:
            continue
        found.append((name, path, username))
    return found


def open_page(new_context, base_url: str, world, path: str, username: str | None, *, language: str, **options):
    """The page as `username` (session cookie; the tablet signs in through its form)."""
    user = world["users"][username] if username else None
    context = new_context(user=user if path != reverse("tablet") else None, **options)
    context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    page.goto(path)
    if path == reverse("tablet") and username:
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "pw-" + username)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#tabs:not([hidden])", timeout=WAIT_MS)
    try:
        page.wait_for_load_state("networkidle", timeout=WAIT_MS)
    except Exception:  # pages with polling never go quiet; what has loaded is scanned
        pass
    page.wait_for_timeout(300)
    assert not errors, errors
    return page


# What a reader sees: text nodes and spoken attributes, minus data and code.
VISIBLE_TEXT_JS = """() => {
  const skip = (el) => !el || el.closest('[translate=no], script, style, noscript, template, svg title');
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const text = node.textContent.trim();
    if (!text || skip(node.parentElement)) continue;
    const style = getComputedStyle(node.parentElement);
    if (style.display === 'none' || style.visibility === 'hidden' || node.parentElement.closest('[hidden]')) continue;
    out.push(text);
  }
  document.querySelectorAll('[placeholder], [aria-label], [title], img[alt], input[type=submit][value], input[type=button][value]')
    .forEach((el) => {
      if (skip(el)) return;
      for (const a of ['placeholder', 'aria-label', 'title', 'alt', 'value']) {
        if (el.hasAttribute(a) && (a !== 'value' || el.type === 'submit' || el.type === 'button')) out.push(el.getAttribute(a));
      }
    });
  // The title often holds a name (a hall, a vendor): data shown elsewhere in the page is taken out.
  let title = document.title;
  document.querySelectorAll('[translate=no]').forEach((el) => {
    const data = el.textContent.trim();
    if (data) title = title.split(data).join('');
  });
  out.push(title);
  return out;
}"""
