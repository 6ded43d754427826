// Run by the Chromium engine through Playwright (the page's own scripts never run).
// step "area": the printable area of the page, from the stylesheet's @page rule, in
// CSS pixels. step "measure": for each bill's box (or the body, for a lone bill),
// null when it fits, else why not; boxes that do not fit are removed from the
// document so that the rest prints without them.
({ step, height }) => {
  const SIZES = { a3: [297, 420], a4: [210, 297], a5: [148, 210], b4: [250, 353],
    b5: [176, 250], letter: [215.9, 279.4], legal: [215.9, 355.6], ledger: [279.4, 431.8] };
  const probe = document.createElement("div");
  probe.style.cssText = "position:absolute;visibility:hidden;width:0";
  document.documentElement.appendChild(probe);
  const px = (length) => { probe.style.height = length; return probe.getBoundingClientRect().height; };

  if (step === "area") {
    let size = "", margins = {};
    for (const sheet of document.styleSheets) {
      let rules = [];
      try { rules = sheet.cssRules; } catch { continue; }  // another origin's: refused anyway
      for (const rule of rules) {
        if (rule instanceof CSSPageRule && !rule.selectorText) {
          size = rule.style.getPropertyValue("size") || size;
          for (const side of ["top", "right", "bottom", "left"]) {
            const value = rule.style.getPropertyValue("margin-" + side);
            if (value) margins[side] = value;
          }
        }
      }
    }
    let [w, h] = [px("210mm"), px("297mm")];
    const words = size.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const named = words.find((word) => word in SIZES);
    if (named) [w, h] = SIZES[named].map((mm) => px(mm + "mm"));
    const lengths = words.filter((word) => /^[0-9.]/.test(word)).map(px);
    if (lengths.length) [w, h] = [lengths[0], lengths[1] ?? lengths[0]];
    if (words.includes("landscape")) [w, h] = [Math.max(w, h), Math.min(w, h)];
    // Chromium prints with 1 cm margins where @page names none.
    const side = (name) => px(margins[name] ?? "10mm");
    const area = { width: w - side("left") - side("right"), height: h - side("top") - side("bottom") };
    probe.remove();
    return area;
  }

  const boxes = [...document.querySelectorAll("body > .alseco-part-bill")];
  const containers = new Map();
  const blockOf = (element) => {
    let node = element;
    while (node && node !== document.body) {
      if (!containers.has(node)) {
        containers.set(node, !getComputedStyle(node).display.startsWith("inline"));
      }
      if (containers.get(node)) return node;
      node = node.parentElement;
    }
    return node;
  };
  const SLACK = 0.5;  // sub-pixel rounding of one engine, not a visible overflow
  const overflow = (box) => {
    const sheet = box.getBoundingClientRect();
    if (sheet.height > height + SLACK) {
      return { kind: "height", pages: Math.ceil((sheet.height - SLACK) / height) };
    }
    // Nothing may end below the printable area: a block of fixed height does not
    // grow the box, what sticks out of it is simply not printed. And the foot sits
    // at the bottom of a sheet of fixed height (bill.css): anything else of the sheet
    // that runs into it means more than the sheet holds. Both from one pass over the
    // box's elements (each rectangle is a call into the layout: half of this step).
    const foot = box.querySelector(".sheet-foot");
    const footSheet = foot && foot.parentElement;
    let lowest = -Infinity;
    let aboveFoot = -Infinity;  // the lowest bottom of the foot's sheet outside the foot
    for (const element of box.querySelectorAll("*")) {
      const bottom = element.getBoundingClientRect().bottom;
      lowest = Math.max(lowest, bottom);
      if (foot && element !== footSheet && footSheet.contains(element) && !foot.contains(element)) {
        aboveFoot = Math.max(aboveFoot, bottom);
      }
    }
    if (lowest - (sheet.top + height) > SLACK) {
      return { kind: "height", pages: Math.ceil((lowest - sheet.top - SLACK) / height) };
    }
    if (foot && aboveFoot - foot.getBoundingClientRect().top > SLACK) {
      return { kind: "height", pages: 2 };
    }
    const columns = new Map();  // a block's rectangle, for each of its text nodes
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      if (!text.data.trim()) continue;
      const block = blockOf(text.parentElement);
      if (!columns.has(block)) columns.set(block, block.getBoundingClientRect());
      const column = columns.get(block);
      range.selectNodeContents(text);
      for (const rect of range.getClientRects()) {
        if (rect.width === 0) continue;
        const past = [
          ["its column", rect.right - column.right, column.left - rect.left],
          ["the page", rect.right - sheet.right, sheet.left - rect.left],
        ].find(([, right, left]) => Math.max(right, left) > SLACK);
        if (past) {
          const mm = (Math.max(past[1], past[2]) * 25.4) / 96;
          return { kind: "width", text: text.data.trim(), edge: past[0], mm };
        }
      }
    }
    return null;
  };
  probe.remove();
  if (!boxes.length) return [overflow(document.body)];
  const findings = boxes.map(overflow);
  boxes.forEach((box, i) => { if (findings[i]) box.remove(); });
  return findings;
}
