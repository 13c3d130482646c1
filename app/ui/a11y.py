"""What every page gets for keyboard and screen-reader users (WCAG 2.2 AA).

- A visible focus ring (:data:`A11Y_CSS`) that is not the current-page highlight: the
  current menu item has a bar at its left and bold text; the focused control has a thick
  dark-orange outline.
- A skip link, first in the page: "Skip to the call" on the call screen (to the question
  box, or the first question card), "Skip to main content" elsewhere. It replaces
  Streamlit's own skip link, so the keyboard meets one, not two.
- The menu's sections marked up as lists, so a screen reader counts its links.
- Boxes of fixed height that scroll (the call's transcript) take the focus and are named,
  so a keyboard user can scroll them.
- Audio players named for screen readers: the caller's voice on the call screen,
  "Audio" elsewhere; the caption just above a player describes it.
- A page opened from the menu takes the focus to its title (or, on a call, to the
  question box), so Tab goes on into the page rather than through the rest of the menu.
  Until the next key press or click (and for three seconds at most), a focus lost to a
  redraw is put back there.
- After a call is submitted, the focus goes to the feedback's heading (the call screen
  wraps the grade card in ``cs-feedback``), so the trainee reads on from there instead of
  from the top of the page.

The style sheet and the script are fixed text: nothing a user or a trainer wrote goes in.
The script installs itself once per browser tab and follows the page with a
MutationObserver, so each rerun costs only the two small ``st.html`` elements.
"""

from __future__ import annotations

import streamlit as st

# The app's own icon: the browser tab's icon is served by the app, not fetched from a font
# host (which fails offline and leaves a console error on every page).
FAVICON = "/app/static/favicon.png"  # app/static/ is served as is (.streamlit/config.toml)

FOCUS_COLOUR = "#b45309"  # 5.0:1 on white, 4.6:1 on the sidebar grey
# Captions, help and hints: Streamlit draws them at 60% opacity, which also fades any code
# or link inside them below 4.5:1. They get a solid grey instead (7.6:1 on white).
CAPTION_COLOUR = "#4b5563"

A11Y_CSS = """<style>
:root { --cs-focus: #b45309; }
[data-testid=stCaptionContainer], [data-testid=stWidgetLabel] [data-testid=stCaption] {
  opacity: 1; color: #4b5563;
}
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible,
select:focus-visible, summary:focus-visible, [role=button]:focus-visible,
[role=radio]:focus-visible, [role=checkbox]:focus-visible, [role=switch]:focus-visible,
[role=option]:focus-visible, [role=tab]:focus-visible, [tabindex]:focus-visible,
audio:focus-visible {
  outline: 3px solid var(--cs-focus) !important; outline-offset: 2px !important;
  box-shadow: 0 0 0 5px #ffffff !important;
}
label:has(input:focus-visible) {
  outline: 3px solid var(--cs-focus); outline-offset: 2px; border-radius: 0.25rem;
}
[data-baseweb=select]:has(input:focus-visible) > div {
  outline: 3px solid var(--cs-focus); outline-offset: 2px;
}
[data-testid=stSidebarNav] a[aria-current=page] {
  font-weight: 700; box-shadow: inset 4px 0 0 #1d4ed8;
}
[data-testid=stSidebarNav] a:focus-visible {
  background: transparent !important; text-decoration: underline;
}
#cs-skip {
  position: fixed; left: 0.75rem; top: -4rem; z-index: 1000002; padding: 0.6rem 1rem;
  background: #ffffff; color: #1d4ed8; font-weight: 700; border-radius: 0.4rem;
  border: 2px solid #1d4ed8; text-decoration: underline;
}
#cs-skip:focus { top: 0.75rem; }
/* Streamlit draws a skip link of its own; with ours in the page it is a second stop
   with the same words, so it is hidden (ours knows the call screen's question box). */
body:has(#cs-skip) [data-testid=stSkipToContent] { display: none; }
.st-key-cs-a11y { display: none; }
</style>"""

# Never write an HTML tag inside this script, not even in a JavaScript comment: the page
# then drops the whole script without a word (found the hard way).
# Streamlit's menu puts each section (a header and its links) in a div straight inside the
# ul: its li items are then not in a list. ``fixMenu`` makes each section the list.
A11Y_JS = """<script>(() => {
  if (window.csA11y) return;
  window.csA11y = true;
  const doc = document;
  const q = (sel) => doc.querySelector(sel);
  const callTarget = () => q(".st-key-cs-ask input[type=text]") ||
    q(".st-key-cs-listen button:not([disabled])");
  const mainTarget = () => q("[data-testid=stMain] h1, [data-testid=stMain] h2") ||
    q("[data-testid=stMain]");
  const skip = doc.createElement("a");
  skip.id = "cs-skip";
  skip.href = "#";
  const label = () => {
    skip.textContent = callTarget() ? "Skip to the call" : "Skip to main content";
  };
  label();
  skip.addEventListener("focus", label);
  skip.addEventListener("click", (e) => {
    e.preventDefault();
    const target = callTarget() || mainTarget();
    if (!target) return;
    if (!target.matches("a, button, input, textarea, select, [tabindex]")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  });
  doc.body.insertBefore(skip, doc.body.firstChild);
  const nameAudio = () => {
    for (const audio of doc.querySelectorAll("audio:not([aria-label])")) {
      const onCall = audio.closest(".st-key-cs-listen");
      audio.setAttribute("aria-label", onCall ? "Caller's voice" : "Audio");
      const block = audio.closest("[data-testid=stElementContainer]");
      const before = block && block.previousElementSibling;
      const caption = before && before.querySelector("[data-testid=stCaptionContainer]");
      if (caption) {
        caption.id = caption.id || "cs-audio-" + Math.random().toString(36).slice(2, 9);
        audio.setAttribute("aria-describedby", caption.id);
      }
    }
  };
  const settled = () => {
    const app = q("[data-testid=stApp]");
    return !app || app.getAttribute("data-test-script-state") === "notRunning";
  };
  const put = (el) => {
    if (!el.matches("input, button, a")) el.setAttribute("tabindex", "-1");
    el.focus();
  };
  let held = null;
  const hold = (find) => { held = {find, until: Date.now() + 3000}; };
  const release = () => { held = null; };
  doc.addEventListener("keydown", release, true);
  doc.addEventListener("pointerdown", release, true);
  const keepHeld = () => {
    if (!held) return;
    if (Date.now() > held.until) { held = null; return; }
    const active = doc.activeElement;
    if (active && active !== doc.body) return;
    const el = held.find();
    if (el) put(el);
  };
  // Once per submitted call: the feedback may be redrawn (a slow rerun replaces it for a
  // moment), and taking the focus back each time would trap the keyboard on its heading.
  // A new call on screen (the decision panel without feedback) arms it again.
  let feedbackSeen = false;
  const focusFeedback = () => {
    const card = q(".st-key-cs-feedback");
    if (!card) {
      if (q(".st-key-cs-decision")) feedbackSeen = false;
      return;
    }
    if (feedbackSeen || !settled()) return;
    const heading = card.querySelector("h1, h2, h3, h4");
    if (!heading) return;
    feedbackSeen = true;
    const active = doc.activeElement;
    if (active && active !== doc.body && !active.closest(".st-key-cs-decision")) return;
    const find = () => {
      const card = q(".st-key-cs-feedback");
      return card && card.querySelector("h1, h2, h3, h4");
    };
    put(heading);
    hold(find);
  };
  const fixMenu = () => {
    const items = q("[data-testid=stSidebarNavItems]");
    if (!items) return;
    if (items.getAttribute("role") !== "none") items.setAttribute("role", "none");
    for (const section of items.children) {
      if (section.tagName === "LI") continue;
      if (section.getAttribute("role") !== "list") section.setAttribute("role", "list");
      const title = section.querySelector("[data-testid=stNavSectionHeader]");
      if (title && title.getAttribute("role") !== "none") title.setAttribute("role", "none");
      const name = title && title.querySelector("[data-testid=stMarkdownContainer]");
      if (name && section.getAttribute("aria-label") !== name.textContent.trim()) {
        section.setAttribute("aria-label", name.textContent.trim());
      }
    }
  };
  let path = location.pathname, toMain = false;
  const followPage = () => {
    if (location.pathname !== path) {
      path = location.pathname;
      const active = doc.activeElement;
      toMain = !!(active && active.closest("[data-testid=stSidebarNav]"));
    }
    if (!toMain || !settled()) return;
    const find = () => callTarget() ||
      [...doc.querySelectorAll("[data-testid=stMain] h1")].find((h) => {
        const box = h.closest("[data-testid=stElementContainer]");
        return !box || box.getAttribute("data-stale") !== "true";
      });
    const target = find();
    if (!target) return;
    toMain = false;
    put(target);
    hold(find);
  };
  // A box of fixed height that scrolls (the transcript) must take the focus, or a
  // keyboard user cannot scroll it; it is named so a screen reader says what it is.
  const scrollers = () => {
    const boxes = "[data-testid=stVerticalBlock][overflow=auto]:not([tabindex])";
    for (const box of doc.querySelectorAll(boxes)) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      const transcript = box.matches("[class*=transcript]");
      box.setAttribute("aria-label", transcript ? "Transcript" : "Scrolling panel");
    }
  };
  const tidy = () => {
    fixMenu(); nameAudio(); scrollers(); focusFeedback(); followPage(); keepHeld();
  };
  tidy();
  new MutationObserver(tidy).observe(doc.body, {
    childList: true, subtree: true, attributes: true,
    attributeFilter: ["data-test-script-state"],
  });
})();</script>"""


def render_page_chrome() -> None:
    """The focus style, the skip link and the audio names: on every page, once per rerun."""
    with st.container(key="cs-a11y"):
        st.html(A11Y_CSS)
        st.html(A11Y_JS, unsafe_allow_javascript=True)
