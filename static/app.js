// Progressive enhancement only: every form works without this file.
"use strict";

// Copy buttons: <button data-copy="ID"> copies the text of element ID.
document.addEventListener("click", function (ev) {
  var btn = ev.target.closest("[data-copy]");
  if (!btn) return;
  var src = document.getElementById(btn.getAttribute("data-copy"));
  if (!src || !navigator.clipboard) return;
  navigator.clipboard.writeText(src.textContent.trim()).then(function () {
    var label = btn.textContent;
    btn.textContent = "Copied";
    setTimeout(function () { btn.textContent = label; }, 1500);
  });
});

// Forms with data-confirm ask before they are sent (deletes, rotations).
document.addEventListener("submit", function (ev) {
  var msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) ev.preventDefault();
});

// Drag and drop on the board. A mouse (or pen) drags a card to another
// place in its column, another column or another swimlane; the drop sends
// the card's move form (the same POST as its buttons, so the same store
// move and webhooks), then shows the board as the server has it, with the
// message the move left. Touch keeps scrolling the board and uses the
// buttons, as keyboards do.
(function () {
  var drag = null;
  // The click that ends a drag must not open the card. (A flag rather than
  // a timer: background tabs delay timers.)
  var swallowClick = false;
  document.addEventListener("click", function (ev) {
    if (!swallowClick) return;
    swallowClick = false;
    // A drop on another cell may end with no click at all; then the flag is
    // still up when Enter in a form makes its click (detail 0): let that be.
    if (ev.detail === 0) return;
    ev.preventDefault();
    ev.stopPropagation();
  }, true);

  function columnAt(x, y) {
    var el = document.elementFromPoint(x, y);
    return el && el.closest("[data-board-dnd] .column");
  }

  // The card the dragged one goes before: the first whose middle is below
  // the pointer (none: the end of the list).
  function cardBefore(list, y) {
    var cards = list.querySelectorAll(".card");
    for (var i = 0; i < cards.length; i++) {
      if (cards[i] === drag.card) continue;
      var r = cards[i].getBoundingClientRect();
      if (y < r.top + r.height / 2) return cards[i];
    }
    return null;
  }

  function highlight(column) {
    var old = document.querySelector(".column.drop-target");
    if (old && old !== column) old.classList.remove("drop-target");
    if (column) column.classList.add("drop-target");
  }

  document.addEventListener("pointerdown", function (ev) {
    swallowClick = false;
    if (ev.button !== 0 || ev.pointerType === "touch" || drag) return;
    var card = ev.target.closest("[data-board-dnd] .card[data-drag]");
    if (!card || ev.target.closest("button, input, select, textarea")) return;
    drag = { card: card, id: ev.pointerId, x: ev.clientX, y: ev.clientY,
      list: card.parentNode, next: card.nextElementSibling, started: false };
  });

  // The browser's own dragging (of the title link, or of selected text)
  // would take the pointer away mid-drag.
  document.addEventListener("dragstart", function (ev) {
    var el = ev.target.nodeType === 1 ? ev.target : ev.target.parentElement;
    if (el && el.closest("[data-board-dnd] .card[data-drag]")) ev.preventDefault();
  });

  document.addEventListener("pointermove", function (ev) {
    if (!drag || ev.pointerId !== drag.id) return;
    if (!drag.started) {
      // A few pixels of slack, so a click on the title stays a click.
      if (Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) < 6) return;
      drag.started = true;
      window.getSelection().removeAllRanges();
      drag.card.classList.add("dragging");
      document.body.classList.add("drag-active");
    }
    ev.preventDefault();
    var column = columnAt(ev.clientX, ev.clientY);
    if (!column) return;
    highlight(column);
    var list = column.querySelector(".cards");
    var before = cardBefore(list, ev.clientY);
    if (drag.card.parentNode !== list || drag.card.nextElementSibling !== before) {
      list.insertBefore(drag.card, before);
    }
  });

  function finish(drop) {
    var d = drag;
    drag = null;
    if (!d || !d.started) return;
    d.card.classList.remove("dragging");
    document.body.classList.remove("drag-active");
    highlight(null);
    swallowClick = true;

    var list = d.card.parentNode;
    if (!drop || (list === d.list && d.card.nextElementSibling === d.next)) {
      d.list.insertBefore(d.card, d.next);
      return;
    }
    var column = list.closest(".column");
    send(d.card, {
      column_id: column.getAttribute("data-column-id"),
      swimlane_id: column.getAttribute("data-swimlane-id"),
      position: dropPosition(d.card, list === d.list),
      back: "board"
    });
  }

  // dropPosition is the store position that puts the card right before the
  // card now after it, or right after the one now before it. Positions come
  // from the server because hidden closed tasks take places in a cell too.
  // Within its own cell the card's old place is taken out first, which
  // shifts the cards below it up by one. None around it: the bottom ("").
  function dropPosition(card, sameCell) {
    var pos = function (el) { return Number(el.getAttribute("data-position")); };
    var own = pos(card);
    var next = card.nextElementSibling, prev = card.previousElementSibling;
    if (next) return String(sameCell && own < pos(next) ? pos(next) - 1 : pos(next));
    if (prev) return String(sameCell && own < pos(prev) ? pos(prev) : pos(prev) + 1);
    return "";
  }

  document.addEventListener("pointerup", function (ev) {
    if (drag && ev.pointerId === drag.id) finish(true);
  });
  document.addEventListener("pointercancel", function () { finish(false); });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") finish(false);
  });

  // send posts the move. The answer is a redirect (with the outcome in the
  // session's message), so the page then loads this board again and shows
  // it; a refusal that is a page of its own (another site, a missing task)
  // is shown instead.
  function send(card, fields) {
    card.setAttribute("aria-busy", "true");
    fetch(card.getAttribute("data-drag"), {
      method: "POST", body: new URLSearchParams(fields), credentials: "same-origin", redirect: "manual"
    }).then(function (res) {
      if (res.type === "opaqueredirect") return fetch(location.href, { credentials: "same-origin" });
      return res;
    }).then(function (res) {
      if (res.redirected && new URL(res.url).pathname !== location.pathname) {
        location.assign(res.url); // logged out meanwhile: the login page
        return;
      }
      return res.text().then(showPage);
    }).catch(function () { location.reload(); });
  }

  // showPage replaces the page's main part with the one in html.
  function showPage(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main");
    var main = document.querySelector("main");
    if (!fresh || !main) { location.reload(); return; }
    main.replaceWith(document.importNode(fresh, true));
    document.title = doc.title;
  }
})();
