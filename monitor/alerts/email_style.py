"""The alert mail's look: inline CSS for each element, in one table.

Mail clients drop or ignore ``<style>`` sheets (Gmail keeps only some, Outlook few), so
every element the templates emit carries its style inline from here; the one ``<style>``
block left in the templates only narrows the padding on small screens, where it is
honoured. A sober newsroom look: system sans-serif fonts (with Arabic and Cyrillic
coverage), dark text, one muted accent, matched terms on a pale yellow.
"""

from __future__ import annotations

from monitor.alerts.script import Direction

FONT = (
    "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',Arial,"
    "'Noto Sans','Noto Sans Arabic','DejaVu Sans',Tahoma,sans-serif"
)
INK = "#1f2328"
MUTED = "#59636e"
RULE = "#d8dee4"
ACCENT = "#1d3b5a"
PAPER = "#f3f4f6"

STYLES: dict[str, str] = {
    "body": f"margin:0;padding:0;background:{PAPER};color:{INK};font-family:{FONT};"
    "font-size:15px;line-height:1.55;-webkit-text-size-adjust:100%",
    "outer": f"width:100%;background:{PAPER};border-collapse:collapse",
    "cell": "padding:24px 12px",
    "card": f"width:100%;max-width:680px;background:#ffffff;border:1px solid {RULE};"
    "border-radius:6px;border-collapse:separate;overflow:hidden",
    "band": f"background:{ACCENT};color:#ffffff;padding:10px 24px;font-size:12px;"
    "letter-spacing:0.06em;text-transform:uppercase",
    "band_name": "text-transform:none;letter-spacing:0;font-weight:600;font-size:13px",
    "inner": "padding:20px 24px 8px 24px",
    "h1": f"margin:0 0 8px 0;font-size:23px;line-height:1.35;font-weight:700;color:{INK}",
    "h1_link": f"color:{INK};text-decoration:none",
    "h2": f"margin:22px 0 8px 0;font-size:12px;font-weight:700;letter-spacing:0.06em;"
    f"text-transform:uppercase;color:{MUTED};border-bottom:1px solid {RULE};padding-bottom:4px",
    "meta": f"margin:0 0 14px 0;font-size:13px;color:{MUTED}",
    "meta_value": f"color:{INK}",
    "button": f"display:inline-block;background:{ACCENT};color:#ffffff;text-decoration:none;"
    "padding:8px 14px;border-radius:4px;font-size:14px;font-weight:600;margin:0 8px 6px 0",
    "button_alt": f"display:inline-block;background:#ffffff;color:{ACCENT};text-decoration:none;"
    f"padding:7px 13px;border:1px solid {ACCENT};border-radius:4px;font-size:14px;"
    "font-weight:600;margin:0 8px 6px 0",
    "chip": f"display:inline-block;background:#eef1f4;color:{INK};border:1px solid {RULE};"
    "border-radius:12px;padding:1px 10px;margin:0 6px 6px 0;font-size:13px",
    "speaker": "margin:0 0 12px 0",
    "name": "font-weight:700",
    "role": f"font-size:12px;color:{MUTED};margin:0 6px",
    "quote": f"margin:4px 0 0 0;font-size:16px;line-height:1.6;color:{INK}",
    "passage": f"margin:0 0 12px 0;color:{INK}",
    "labels": f"display:block;font-size:12px;color:{MUTED};margin-bottom:2px",
    "mark": f"background:#fde68a;color:{INK};border-radius:2px",
    "also": f"margin:14px 0 0 0;font-size:13px;color:{MUTED}",
    "table": "width:100%;border-collapse:collapse;font-size:13px",
    "th": f"text-align:start;color:{MUTED};font-weight:600;padding:4px 8px 4px 0;"
    f"border-bottom:1px solid {RULE}",
    "td": "padding:4px 8px 4px 0;border-bottom:1px solid #eef1f4;vertical-align:top",
    "where": f"color:{MUTED}",
    "footer": f"padding:12px 24px 18px 24px;font-size:12px;color:{MUTED};"
    f"border-top:1px solid {RULE}",
    "held": "margin:0 0 12px 0;padding:8px 12px;background:#fff7e0;border:1px solid #f0d98c;"
    "border-radius:4px;font-size:14px",
    "digest_item": f"padding:0 0 10px 0;margin:0 0 14px 0;border-bottom:1px solid {RULE}",
    "h3": f"margin:0 0 6px 0;font-size:18px;line-height:1.35;font-weight:700;color:{INK}",
}


def side(way: Direction) -> str:
    """Inline CSS for a block quote's rule on the side its text starts (mail clients do
    not all know ``border-inline-start``)."""
    edge = "right" if way == "rtl" else "left"
    return f"border-{edge}:3px solid {ACCENT};padding-{edge}:12px"
