// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";

  function newToken() {
    // crypto.randomUUID needs a secure context; getRandomValues works everywhere.
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function depthOf(element) {
    return parseInt(element.getAttribute("data-depth") || "0", 10);
  }

  function setupDiscussion(section) {
    var form = section.querySelector("[data-comment-form]");
    var list = section.querySelector("[data-comment-list]");
    if (!form || !list) return;

    var home = document.createComment("comment form");
    form.parentNode.insertBefore(home, form);
    var parentInput = form.querySelector("input[name=parent]");
    var tokenInput = form.querySelector("input[name=submission_token]");
    var body = form.querySelector("textarea[name=body]");
    var button = form.querySelector("button[type=submit]");
    var errors = form.querySelector("[data-errors]");
    var replying = form.querySelector("[data-replying]");
    var replyingText = form.querySelector("[data-replying-text]");

    function showErrors(messages) {
      errors.textContent = "";
      messages.forEach(function (text) {
        var p = document.createElement("p");
        p.textContent = text;
        errors.appendChild(p);
      });
    }

    function replyTo(link) {
      var target = document.getElementById("comment-" + link.getAttribute("data-reply-to"));
      if (!target) return false;
      // After the whole subthread would hide the form far below; right under the comment
      // keeps it next to what is being answered.
      target.parentNode.insertBefore(form, target.nextSibling);
      form.classList.add("comment-form--reply");
      form.style.setProperty("--reply-depth", Math.min(depthOf(target) + 1, 5));
      parentInput.value = link.getAttribute("data-reply-to");
      replyingText.textContent = form.getAttribute("data-reply-label").replace(
        "%(name)s", link.getAttribute("data-reply-name") || ""
      );
      replying.hidden = false;
      showErrors([]);
      body.focus();
      return true;
    }

    function cancelReply() {
      home.parentNode.insertBefore(form, home.nextSibling);
      form.classList.remove("comment-form--reply");
      parentInput.value = "";
      replying.hidden = true;
    }

    function insertComment(html, parentId) {
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var element = holder.firstElementChild;
      if (!element) return null;
      var empty = list.querySelector("[data-empty]");
      if (empty) empty.remove();
      if (parentId) {
        var parent = document.getElementById("comment-" + parentId);
        var depth = depthOf(parent);
        var next = parent.nextElementSibling;
        // A reply goes after the parent's existing replies, as the server orders them.
        while (next && (next === form || (next.classList.contains("comment") && depthOf(next) > depth))) {
          next = next.nextElementSibling;
        }
        list.insertBefore(element, next);
      } else if (list.getAttribute("data-sort") === "oldest") {
        list.appendChild(element);
      } else {
        list.insertBefore(element, list.firstElementChild);
      }
      return element;
    }

    section.addEventListener("click", function (event) {
      var link = event.target.closest("[data-reply-to]");
      if (link && replyTo(link)) {
        event.preventDefault();
        return;
      }
      if (event.target.closest("[data-cancel-reply]")) {
        event.preventDefault();
        cancelReply();
      }
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (button.disabled) return;
      button.disabled = true;
      showErrors([]);
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (data) {
            return { status: response.status, data: data };
          });
        })
        .then(function (result) {
          var data = result.data;
          if (result.status === 201) {
            var element = insertComment(data.html, data.parent_id);
            section.querySelectorAll("[data-comment-total]").forEach(function (node) {
              node.textContent = data.total;
            });
            body.value = "";
            tokenInput.value = newToken();
            cancelReply();
            if (element) {
              element.classList.add("comment--new");
              element.scrollIntoView({ block: "nearest" });
            }
          } else if (result.status === 401) {
            window.location.href = form.getAttribute("data-login-url");
          } else if (data.errors) {
            var messages = [];
            Object.keys(data.errors).forEach(function (key) {
              messages = messages.concat(data.errors[key]);
            });
            showErrors(messages);
          } else {
            showErrors([data.error || form.getAttribute("data-error-generic")]);
          }
        })
        .catch(function () {
          showErrors([form.getAttribute("data-error-network")]);
        })
        .finally(function () {
          button.disabled = false;
        });
    });
  }

  function postForm(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    return fetch(form.action, {
      method: "POST",
      body: data,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      if (response.status === 401) {
        // The session ended since the page was drawn: the plain form takes it from here.
        form.submit();
        return null;
      }
      return response.json().then(function (data) {
        showFormError(form, response.ok ? "" : data.error || "");
        return response.ok ? data : null;
      });
    });
  }

  function showFormError(form, text) {
    var note = form.nextElementSibling;
    if (!note || !note.hasAttribute("data-form-error")) {
      if (!text) return;
      note = document.createElement("p");
      note.className = "form-errors";
      note.setAttribute("data-form-error", "");
      note.setAttribute("role", "alert");
      form.parentNode.insertBefore(note, form.nextSibling);
    }
    note.textContent = text;
  }

  function pressed(button, on) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
  }

  // Reactions under an article and votes on comments toggle in place; without this script
  // the same forms post and come back to the page.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    if (form.matches("[data-reactions]")) {
      event.preventDefault();
      postForm(form, submitter).then(function (data) {
        if (!data || !data.reactions) return;
        data.reactions.forEach(function (reaction) {
          var button = form.querySelector('[data-kind="' + reaction.kind + '"]');
          if (!button) return;
          button.querySelector("[data-count]").textContent = reaction.count;
          button.classList.toggle("reaction--mine", reaction.mine);
          pressed(button, reaction.mine);
        });
      }).catch(function () { showFormError(form, form.getAttribute("data-error-network")); });
    } else if (form.matches("[data-vote]")) {
      event.preventDefault();
      postForm(form, submitter).then(function (data) {
        if (!data || data.likes === undefined) return;
        form.querySelector("[data-likes]").textContent = data.likes;
        form.querySelector("[data-dislikes]").textContent = data.dislikes;
        form.querySelectorAll("button[name=value]").forEach(function (button) {
          var mine = String(data.mine) === button.value;
          button.classList.toggle("vote__button--mine", mine);
          pressed(button, mine);
        });
      }).catch(function () { showFormError(form, form.getAttribute("data-error-network")); });
    }
  });

  document.querySelectorAll(".discussion").forEach(setupDiscussion);
})();
