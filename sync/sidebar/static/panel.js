// The sidebar panel: shows the ticket's bugs from the service's state and
// lets the agent search, link, unlink and file bugs. Everything it shows
// is set as text, never as HTML.
(function () {
  "use strict";
  var session = document.querySelector('meta[name="hs-session"]').content;
  var client = window.ZAFClient ? window.ZAFClient.init() : null;
  var ticketID = 0;
  var view = null;
  var filingKey = "";
  var labelsShown = false; // the configured labels fill the form once, then it is the agent's

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { e.textContent = attrs[k]; } else if (k === "cls") { e.className = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === "") { continue; }
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }

  function link(href, text) {
    if (!/^https?:\/\//.test(href || "")) { return el("span", { text: text }); }
    return el("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: text });
  }

  function api(method, path, body) {
    var opts = { method: method, headers: { "Authorization": "Bearer " + session } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch("api/" + path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { throw new Error(data.error || ("The service answered " + r.status)); }
        return data;
      });
    });
  }

  function say(text, isError) {
    var m = $("message");
    m.textContent = text;
    m.className = isError ? "error" : "";
    m.hidden = !text;
    resize();
  }

  function resize() {
    if (client) { client.invoke("resize", { width: "100%", height: (document.body.scrollHeight + 8) + "px" }); }
  }

  function catClass(c) { return c === "Done" ? "cat-done" : c === "In Progress" ? "cat-progress" : "cat-todo"; }

  function day(iso) { return iso ? iso.slice(0, 10) : ""; }

  function fmtCount(n) { return Math.round(n * 100) / 100; }

  // fixVersion says a fix version and, when known, whether it shipped,
  // as the service's FixVersion.String does.
  function fixVersion(v) {
    if (!v.known) { return v.name; }
    if (v.released) { return v.name + (v.release_date ? " (released " + v.release_date + ")" : " (released)"); }
    return v.name + (v.release_date ? " (not released yet, planned " + v.release_date + ")" : " (not released yet)");
  }

  function bugCard(b) {
    var facts = el("dl", { cls: "facts" });
    function fact(name, value) { if (value) { facts.appendChild(el("dt", { text: name })); facts.appendChild(el("dd", {}, value)); } }
    fact("Resolution", b.resolution);
    // A fixed bug's one fix version is in its fix line already.
    if (!b.fix || (b.fix_versions || []).length > 1) { fact("Fix version", (b.fix_versions || []).map(fixVersion).join(", ")); }
    fact("Priority", b.priority ? b.priority + (b.priority_locked ? " (locked)" : "") : "");
    var tiers = (b.customers.by_tier || []).map(function (t) { return t.customers + " " + t.tier; }).join(", ");
    var count = el("span", {}, el("span", { cls: "count", text: String(b.customers.distinct) }),
      " " + (b.customers.distinct === 1 ? "customer" : "customers") +
      (b.customers.weighted && b.customers.weighted !== b.customers.distinct ? " · weighted " + fmtCount(b.customers.weighted) : ""));
    fact("Waiting", count);
    fact("By tier", tiers);
    fact("Revenue waiting", b.customers.revenue_text);
    fact("Last touched", day(b.last_activity));
    var head = el("div", { cls: "bug-head" },
      el("span", { cls: "bug-key" }, link(b.url, b.key)),
      el("span", { cls: "pill " + catClass(b.category), text: b.status || b.category, title: b.category }),
      b.stale ? el("span", { cls: "pill stale", text: "stale", title: "no update by a person since " + day(b.stale_since) }) : null,
      b.priority_locked ? el("span", { cls: "pill locked", text: "priority locked" }) : null);
    var card = el("article", { cls: "bug" }, head, el("p", { cls: "bug-summary", text: b.summary }),
      b.fix ? el("p", { cls: "fix", text: b.fix }) : null, facts,
      el("p", { cls: "standing", text: b.standing }));
    if (b.others && b.others.length) {
      var ul = el("ul", { cls: "others" });
      b.others.forEach(function (o) {
        ul.appendChild(el("li", {}, link(o.url, "#" + o.id), " " + (o.subject || "") + " (" + o.status + ")"));
      });
      if (b.more_others > 0) {
        ul.appendChild(el("li", {}, view.board_url ? link(view.board_url, "and " + b.more_others + " more on the board") : "and " + b.more_others + " more"));
      }
      card.appendChild(el("p", { cls: "muted", text: "Other customers waiting:" }));
      card.appendChild(ul);
    }
    if (!b.by_tracker) {
      var un = el("button", { type: "button", cls: "quiet", text: "Unlink" });
      un.addEventListener("click", function () { change("unlink", b.key, un); });
      card.appendChild(el("div", { cls: "row-actions" }, un));
    }
    return card;
  }

  function render(v) {
    view = v;
    $("loading").hidden = true;
    var linked = $("linked");
    linked.textContent = "";
    linked.appendChild(el("h2", { text: "Linked bugs" }));
    if (!v.bugs.length) {
      linked.appendChild(el("p", { cls: "empty", text: v.ticket.known ? "No bug linked. Search below, or file one." : "No bug linked yet. Search below, or file one." }));
    }
    v.bugs.forEach(function (b) { linked.appendChild(bugCard(b)); });
    linked.hidden = false;
    var un = $("unlinked");
    un.textContent = "";
    if (v.unlinked.length) {
      var ul = el("ul", { cls: "unlinked" });
      v.unlinked.forEach(function (u) { ul.appendChild(el("li", {}, el("strong", { text: u.text }), " — " + u.reason)); });
      un.appendChild(el("h2", { text: "Keys not linked" }));
      un.appendChild(ul);
    }
    un.hidden = !v.unlinked.length;
    $("create-where").textContent = "Filed in " + v.filing.project + " as " + v.filing.issue_type +
      (v.filing.components && v.filing.components.length ? ", component " + v.filing.components.join(", ") : "") +
      ", with a link back to this ticket.";
    if (!$("create-summary").value && v.ticket.subject) { $("create-summary").value = v.ticket.subject; }
    if (!labelsShown) { $("create-labels").value = (v.filing.labels || []).join(" "); labelsShown = true; }
    resize();
  }

  function load() {
    return api("GET", "tickets/" + ticketID).then(render);
  }

  // waitFor reloads the view until done(view) holds: the service
  // reconciles the ticket at once, so this takes a moment.
  function waitFor(done, tries) {
    return load().then(function () {
      if (done(view) || tries <= 0) { return; }
      return new Promise(function (r) { setTimeout(r, 250); }).then(function () { return waitFor(done, tries - 1); });
    });
  }

  // isLinked holds once the bug shows, with this ticket's customer counted.
  function isLinked(key) { return function (v) { return v.bugs.some(function (b) { return b.key === key && b.counted; }); }; }

  function change(what, key, button) {
    if (button) { button.disabled = true; }
    say(what === "link" ? "Linking " + key + "…" : "Unlinking " + key + "…");
    api("POST", "tickets/" + ticketID + "/" + what, { key: key }).then(function () {
      var shown = function (v) { return v.bugs.some(function (b) { return b.key === key; }); };
      return waitFor(what === "link" ? isLinked(key) : function (v) { return !shown(v); }, 20).then(function () {
        say(what === "link" ? key + " is linked." : key + " is unlinked.");
        markPicks();
      });
    }).catch(function (e) { say(e.message, true); }).then(function () { if (button) { button.disabled = false; } });
  }

  // markPicks keeps the candidates' buttons in step with the view.
  function markPicks() {
    Array.prototype.forEach.call(document.querySelectorAll("button.pick"), function (b) {
      var linked = view.bugs.some(function (x) { return x.key === b.getAttribute("data-key"); });
      b.disabled = linked;
      if (linked) { b.textContent = "Linked"; } else if (b.textContent === "Linked") { b.textContent = "Link"; }
    });
  }

  function candidateList(ul, list, onPick, pickLabel) {
    ul.textContent = "";
    list.forEach(function (c) {
      var linked = view && view.bugs.some(function (b) { return b.key === c.key; });
      var pick = el("button", { type: "button", cls: "link pick", text: linked ? "Linked" : pickLabel, "data-key": c.key });
      pick.disabled = linked;
      pick.addEventListener("click", function () { onPick(c, pick); });
      var customers = c.customers ? " · " + fmtCount(c.customers) + " customers" : "";
      ul.appendChild(el("li", {}, el("div", { cls: "what" }, link(c.url, c.key), " ",
        el("span", { cls: "pill " + catClass(c.category), text: c.status }), customers, el("div", { text: c.summary })), pick));
    });
    resize();
  }

  $("search-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = $("search-q").value.trim();
    if (!q) { return; }
    say("Searching…");
    api("GET", "search?q=" + encodeURIComponent(q)).then(function (d) {
      say(d.candidates.length ? "" : "No bug of the synced projects matches.");
      candidateList($("search-results"), d.candidates, function (c, b) { change("link", c.key, b); }, "Link");
    }).catch(function (e) { say(e.message, true); });
  });

  function newFilingKey() {
    var a = new Uint8Array(16);
    window.crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  function filing(confirm) {
    // Labels are one word each, so spaces and commas separate them; the
    // service checks them again.
    var labels = $("create-labels").value.split(/[\s,]+/).filter(function (l) { return l !== ""; });
    return { summary: $("create-summary").value, description: $("create-description").value, labels: labels,
      confirm: confirm, idempotency_key: filingKey };
  }

  $("create-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    filingKey = newFilingKey();
    say("Looking for duplicates…");
    api("POST", "tickets/" + ticketID + "/bugs", filing(false)).then(function (d) {
      say(d.candidates.length ? "" : "No likely duplicate found.");
      candidateList($("create-dup-list"), d.candidates, function (c, b) { change("link", c.key, b); }, "Link this");
      $("create-confirm").textContent = d.candidates.length ? "None of these: file it" : "File it";
      $("create-dups").hidden = false;
      resize();
    }).catch(function (e) { say(e.message, true); });
  });

  $("create-confirm").addEventListener("click", function () {
    var b = $("create-confirm");
    b.disabled = true;
    say("Filing…");
    api("POST", "tickets/" + ticketID + "/bugs", filing(true)).then(function (d) {
      return waitFor(isLinked(d.created), 20).then(function () {
        say("Filed " + d.created + " and linked it.");
        $("create-dups").hidden = true;
        $("create-box").open = false;
      });
    }).catch(function (e) { say(e.message, true); }).then(function () { b.disabled = false; });
  });

  function start(id) {
    ticketID = id;
    load().catch(function (e) { $("loading").hidden = true; say(e.message, true); });
  }

  if (client) {
    client.get("ticket.id").then(function (d) { start(d["ticket.id"]); });
  } else {
    say("Open this panel from a Zendesk ticket.", true);
  }
}());
