"""The generated report, made to work from disk and to keep to itself: opening it makes no
request outside the file, and the pages attached to it (the capability overview) show whole.

    python -m tools.offline_report [REPORT_DIR]     (default reports/allure-report)

Allure 3.18 writes a Google Analytics tag into every report it generates (plugin-awesome's
index.html template: googletagmanager.com's gtag.js and an inline `gtag('config', ...)` script)
and has no setting to turn it off (upstream allure3 issue 476). The report carries people's
emails and service logs, so `make report` runs this right after `allure generate`: in every HTML
page of the report it removes the analytics and any tag that loads something from another origin
(scripts, stylesheets, fonts, preloads, images, frames), and adds a Content-Security-Policy that
lets the page load and connect only to itself, `data:` and `blob:`, so a tracker a later Allure
version adds in its scripts is refused by the browser too. Links a person clicks (Allure's home
page, the Playwright trace viewer) are navigations, not loads, and stay. Exits 1 when a page
still names another origin in a tag after the cleaning (a new kind of injection to look at).

An HTML attachment is shown in a sandboxed frame that Allure sizes by reading the frame's
document. Opened from disk (file://) that document is of another origin to the report, the read
fails and the frame keeps the browser's default 150 px: the capability page showed its title
only. A style rule gives such an unmeasured frame most of the window (it scrolls inside); over
HTTP Allure sets the height itself and the rule does not apply.
tests/tools/test_report_browser.py opens the result in Chromium with the network blocked.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_REPORT = Path("reports/allure-report")
# Another origin: an absolute or protocol-relative URL.
_EXTERNAL = r"""["']?\s*(?:https?:)?//"""
# A tag that loads from another origin, with its closing tag when it has one (<a href> is a link
# a person follows, not a load).
EXTERNAL_TAG = re.compile(
    rf"<(script|link|img|iframe|source|audio|video|embed)\b[^>]*?\b(?:src|href)\s*=\s*{_EXTERNAL}"
    r"[^>]*>(?:\s*</\1\s*>)?",
    re.IGNORECASE,
)
# Allure's inline gtag set-up: an attribute-less <script> that begins with the dataLayer.
ANALYTICS_INLINE = re.compile(
    r"<script>\s*window\.dataLayer\b(?:(?!</script>).)*</script>", re.IGNORECASE | re.DOTALL
)
# Inline scripts and styles and eval stay (the report is one page of them; Allure's charts use
# eval-free code but its bundle loads through a data: URL). Nothing is fetched from elsewhere.
POLICY = (
    "default-src 'self' data: blob: 'unsafe-inline' 'unsafe-eval'; "
    "connect-src 'self' data: blob:; form-action 'none'; base-uri 'self'"
)
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
# Allure 3.18's HTML attachment frame; `height` is set only when Allure could measure it.
FRAME_STYLE = (
    "<style data-offline-report>[data-testid=html-attachment-preview] > iframe:not([height])"
    "{height:80vh}</style>"
)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Cleaned:
    path: Path
    removed: list[str]
    remaining: list[str]


def external_tags(html: str) -> list[str]:
    """The tags of `html` that load something from another origin."""
    return [m.group(0)[:160] for m in EXTERNAL_TAG.finditer(html)]


def clean_html(html: str) -> tuple[str, list[str]]:
    """`html` without analytics or external loads, with the policy and the frame style; and what
    was removed."""
    removed = [m.group(0)[:160] for m in ANALYTICS_INLINE.finditer(html)]
    html = ANALYTICS_INLINE.sub("", html)
    removed += external_tags(html)
    html = EXTERNAL_TAG.sub("", html)
    if "Content-Security-Policy" not in html:
        added = CSP_META + FRAME_STYLE
        html, found = _HEAD.subn(lambda m: m.group(0) + added, html, count=1)
        if not found:
            html = added + html
    return html, removed


def clean_report(report: Path) -> list[Cleaned]:
    """Every HTML page of the report cleaned in place."""
    cleaned = []
    for path in sorted(report.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        new, removed = clean_html(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
        cleaned.append(Cleaned(path, removed, external_tags(new)))
    return cleaned


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    report = Path(args[0]) if args else DEFAULT_REPORT
    pages = clean_report(report)
    if not pages:
        print(f"offline report: no HTML page in {report}", file=sys.stderr)
        return 1
    removed = sum(len(p.removed) for p in pages)
    print(f"offline report: {len(pages)} page(s), {removed} external load(s) removed")
    remaining = [(p.path, tag) for p in pages for tag in p.remaining]
    for path, tag in remaining:
        print(f"offline report: FAILED: {path} still loads {tag}", file=sys.stderr)
    return 1 if remaining else 0


if __name__ == "__main__":
    sys.exit(main())
