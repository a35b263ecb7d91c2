// The moderation queue from the keyboard, and its one-click actions in place.
// Progressive enhancement only: every form posts and redirects back without this file.
//
// Keys (not while typing in a field): j / k next / previous item; h hide (or reject) with
// the reason chosen in the item; a approve (or show); d dismiss the reports; x select the
// item for a bulk action.
(function () {
  "use strict";

  var page = document.querySelector("[data-mod-queue]") || document.querySelector("[data-mod-item]");
  if (!page) return;

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-mod-item]"));
  }

  function currentItem() {
    var active = document.activeElement;
    return active && active.closest ? active.closest("[data-mod-item]") : null;
  }

  function focusItem(item) {
    if (!item) return;
    items().forEach(function (other) { other.classList.remove("mod-item--current"); });
    item.classList.add("mod-item--current");
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = items();
    if (!all.length) return;
    var index = all.indexOf(currentItem());
    var next = index === -1 ? (step > 0 ? 0 : all.length - 1) : index + step;
    focusItem(all[Math.max(0, Math.min(all.length - 1, next))]);
  }

  function say(item, text, isError) {
    var result = item && item.querySelector("[data-mod-result]");
    if (!result) return;
    result.textContent = text;
    result.classList.toggle("mod-item__result--error", !!isError);
  }

  function updateCounts(counts) {
    if (!counts) return;
    Object.keys(counts).forEach(function (key) {
      document.querySelectorAll('[data-mod-count="' + key + '"]').forEach(function (badge) {
        badge.textContent = counts[key];
      });
    });
  }

  function send(form, submitter) {
    var item = form.closest("[data-mod-item]");
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (button) { button.disabled = true; });
    return fetch(form.action, {
      method: "POST",
      body: data,
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok || body.error) throw new Error(body.error || response.statusText);
        return body;
      });
    }).then(function (body) {
      updateCounts(body.counts);
      if (item) {
        item.classList.add("mod-item--done");
        var status = item.querySelector("[data-mod-status]");
        if (status && body.status_label) status.textContent = body.status_label;
        item.querySelectorAll("form[data-mod-action]").forEach(function (other) {
          other.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
        });
        var box = item.querySelector("[data-mod-select]");
        if (box) { box.checked = false; box.disabled = true; }
        say(item, body.message || "");
      }
    }).catch(function (error) {
      buttons.forEach(function (button) { button.disabled = false; });
      say(item, error.message || String(error), true);
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-mod-action]")) return;
    if (!window.fetch || !window.FormData) return;
    event.preventDefault();
    send(form, event.submitter);
  });

  function act(key) {
    var item = currentItem() || items()[0];
    if (!item) return;
    focusItem(item);
    var form = item.querySelector('form[data-mod-action][data-key="' + key + '"]');
    if (!form) return;
    var button = form.querySelector("button[type=submit]");
    if (form.requestSubmit) form.requestSubmit(button || undefined);
    else if (button) button.click();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "h": act("h"); break;
      case "a": act("a"); break;
      case "d": act("d"); break;
      case "x": {
        var item = currentItem() || items()[0];
        if (!item) return;
        focusItem(item);
        var box = item.querySelector("[data-mod-select]");
        if (box && !box.disabled) box.checked = !box.checked;
        break;
      }
      default: return;
    }
    event.preventDefault();
  });
})();
