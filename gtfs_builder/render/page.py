"""The frame every page shares: head, navigation, language switch, the embedded dictionary.

Pages link ``assets/site.css`` and ``assets/site.js`` by relative path, so the site works from
disk (``file://``) and offline: nothing is fetched from the network.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from gtfs_builder.render.i18n import Texts

ASSETS = Path(__file__).parent / "assets"
SITE_ASSETS = ("site.css", "site.js")


def write_assets(out_dir: Path) -> None:
    dest = out_dir / "assets"
    dest.mkdir(parents=True, exist_ok=True)
    for name in SITE_ASSETS:
        data = (ASSETS / name).read_bytes()
        target = dest / name
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)


def _json_for_script(value: object) -> str:
    """JSON safe inside a <script> element (no '</' can end it early)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")


def render_page(
    *,
    title: str,
    heading: str,
    body: str,
    texts: Texts,
    root: str = "",
    active: str = "",
    has_report: bool = True,
) -> str:
    """A whole HTML document. ``root`` is the relative path back to the site root ('' or '../');
    ``heading`` is already HTML; ``title`` is plain text."""
    links = [("index", "index.html"), ("map", "map.html")]
    if has_report:
        links.append(("report", "report.html"))
    nav = " ".join(
        f'<a href="{root}{href}"{" aria-current=page" if key == active else ""}>'
        f"{texts.ui(key)}</a>"
        for key, href in links
    )
    switch = (
        f'<label class="lang">{texts.ui("language")} '
        f'<select id="lang-switch" aria-label="Language"></select></label>'
        if len(texts.langs) > 1
        else ""
    )
    dictionary = _json_for_script(texts.dictionary())
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(texts.default)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        f'<link rel="stylesheet" href="{root}assets/site.css">\n'
        f'<script type="application/json" id="i18n">{dictionary}</script>\n'
        f'<script src="{root}assets/site.js" defer></script>\n'
        "</head>\n<body>\n"
        f'<header class="top"><nav>{nav}</nav>{switch}</header>\n'
        f"<main>\n<h1>{heading}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )
