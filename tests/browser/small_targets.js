// Links and controls a finger cannot hit: visible, and under `least` CSS px either way. Left
// out: links inside a sentence (WCAG 2.5.8's inline exception: their block has words besides
// them), whatever is hidden (a phone's hidden table header, the skip link off-screen), and a map's
// country link whose page is also linked by a target big enough (2.5.8's equivalent exception:
// a small state cannot be drawn at 44 px; the table beside the map links to it). A checkbox is
// tapped through its label.
(least) => {
  const hidden = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const box = e.getBoundingClientRect();
      if (box.width <= 1 || box.height <= 1 || getComputedStyle(e).visibility === "hidden") return true;
    }
    return false;
  };
  const inSentence = (el) => {
    let block = el.parentElement;
    while (getComputedStyle(block).display.startsWith("inline")) block = block.parentElement;
    return /[\p{L}\p{N}]{2}/u.test(block.textContent.replace(el.textContent, ""));
  };
  const bigEnough = (el) => {
    const box = el.getBoundingClientRect();
    return box.height >= least - 0.5 && box.width >= least - 0.5;
  };
  const hasEquivalent = (el) => [...document.querySelectorAll("a[href]")].some(
    (other) => other !== el && !other.closest("svg") && other.getAttribute("href") === el.getAttribute("href")
      && other.checkVisibility() && !hidden(other) && (bigEnough(other) || inSentence(other)));
  const small = [];
  for (const el of document.querySelectorAll("a[href], button, select, input:not([type=hidden]), summary, textarea")) {
    if (!el.checkVisibility() || hidden(el) || el.getBoundingClientRect().right <= 0) continue;
    if (el.tagName === "A" && inSentence(el)) continue;
    if (el.closest("svg") && hasEquivalent(el)) continue;
    const target = (el.tagName === "INPUT" && el.closest("label")) || el;
    const box = target.getBoundingClientRect();
    if (box.height < least - 0.5 || box.width < least - 0.5) {
      small.push(`${el.tagName} "${(el.textContent || el.name || "").trim().slice(0, 30)}" ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}
