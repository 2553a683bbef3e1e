// The page's own behaviour on top of htmx: Enter sends, focus and scroll follow the chat.
// Served from static/ so the Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  // The theme: the system's (prefers-color-scheme) unless the toggle chose one, which is
  // remembered in this browser.
  var THEME_KEY = "taskchat-theme";
  function storedTheme() {
    try { return localStorage.getItem(THEME_KEY); } catch (e) { return null; }
  }
  function systemDark() {
    return Boolean(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
  }
  function applyTheme(theme) {
    if (theme === "dark" || theme === "light") {
      document.documentElement.dataset.theme = theme;
    } else {
      delete document.documentElement.dataset.theme;
    }
    var button = byId("theme-toggle");
    if (button) {
      var dark = theme ? theme === "dark" : systemDark();
      button.setAttribute("aria-pressed", dark ? "true" : "false");
      button.textContent = dark ? "Light mode" : "Dark mode";
    }
  }
  applyTheme(storedTheme());
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#theme-toggle");
    if (!button) return;
    var dark = button.getAttribute("aria-pressed") === "true";
    var theme = dark ? "light" : "dark";
    try { localStorage.setItem(THEME_KEY, theme); } catch (e) { /* private mode: this page only */ }
    applyTheme(theme);
  });

  // Keyboard shortcuts: "/" to the message box, "?" lists them, Esc closes the list. Not
  // while typing in a field (there the keys are text).
  function typing(target) {
    return target instanceof Element && (target.closest("input, textarea, select, [contenteditable]") !== null);
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    var list = byId("shortcuts");
    if (event.key === "Escape" && list && !list.hidden) {
      list.hidden = true;
      return;
    }
    if (typing(event.target)) return;
    if (event.key === "/") {
      var box = byId("message-input");
      if (box) {
        event.preventDefault();
        box.focus();
      }
    } else if (event.key === "?" && list) {
      event.preventDefault();
      list.hidden = !list.hidden;
    }
  });

  function byId(id) {
    return document.getElementById(id);
  }

  function scrollToNewest() {
    var messages = byId("messages");
    if (messages && messages.lastElementChild) {
      messages.lastElementChild.scrollIntoView({ block: "end" });
    }
  }

  function fromComposer(event) {
    var ctx = event.detail && event.detail.ctx;
    return ctx && ctx.sourceElement && ctx.sourceElement.id === "composer";
  }

  // One of the buttons that answer the agent's question (they send like the message box).
  function fromChoice(event) {
    var ctx = event.detail && event.detail.ctx;
    return Boolean(ctx && ctx.sourceElement && ctx.sourceElement.closest && ctx.sourceElement.closest(".choices"));
  }

  // Enter sends, Shift+Enter makes a new line (and IME composition is left alone).
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (box.id !== "message-input" || event.key !== "Enter" || event.shiftKey || event.isComposing) {
      return;
    }
    event.preventDefault();
    if (box.value.trim() === "" && box.form.dataset.sending === "true") {
      return;
    }
    box.form.requestSubmit();
  });

  // The longest message the server takes (data-limit on the box); past 90 % a counter shows.
  function limitOf(box) {
    return Number(box.dataset.limit) || 4000;
  }

  function showCount(box) {
    var count = byId("message-count");
    if (!count) return;
    var limit = limitOf(box);
    var used = box.value.trim().length;
    count.classList.toggle("over", used > limit);
    count.classList.toggle("near", used >= limit * 0.9);
    if (used > limit) {
      count.textContent = used + " / " + limit + " characters: " + (used - limit) + " too many";
    } else if (used >= limit * 0.9) {
      count.textContent = used + " / " + limit + " characters";
    } else {
      count.textContent = "";
    }
  }

  function composerError(text) {
    var area = byId("composer-error");
    if (!area) return;
    area.textContent = "";
    if (text) {
      var p = document.createElement("p");
      p.className = "flash flash-error";
      p.textContent = text;
      area.appendChild(p);
    }
  }

  // Parts of the page that htmx may swap in again (the middle column when switching).
  function enhance() {
    var box = byId("message-input");
    if (box && box.dataset.jsPlaceholder) box.placeholder = box.dataset.jsPlaceholder;
    if (box) showCount(box);
  }

  document.addEventListener("input", function (event) {
    if (event.target.id === "message-input") showCount(event.target);
  });

  // The form's values are collected before this event; empty the box so the next message
  // can be typed while the reply streams, and put the text back if the request fails.
  // A message over the limit is not sent at all: it stays in the box, the reason beside it.
  document.addEventListener("htmx:before:request", function (event) {
    if (inPanelForm(event)) {
      var panelError = byId("panel-error");
      if (panelError) panelError.textContent = "";
      return;
    }
    if (!fromComposer(event)) return;
    var box = byId("message-input");
    var form = byId("composer");
    var limit = limitOf(box);
    if (box.value.trim().length > limit) {
      event.preventDefault();
      composerError("Message is too long (at most " + limit + " characters); it is still in the box.");
      showCount(box);
      box.setAttribute("aria-invalid", "true");
      box.focus();
      return;
    }
    box.removeAttribute("aria-invalid");
    form.dataset.sending = "true";
    form.dataset.lastMessage = box.value;
    box.value = "";
    showCount(box);
    composerError("");
    var flash = byId("flash");
    if (flash) flash.textContent = "";  // an old "can't be empty" no longer applies
  });

  function restoreDraft() {
    var box = byId("message-input");
    if (box && !box.value) {
      box.value = byId("composer").dataset.lastMessage || "";
      showCount(box);
    }
  }

  // The server refused the message (its reason is swapped into #composer-error): keep the text.
  document.addEventListener("htmx:response:error", function (event) {
    if (fromComposer(event)) restoreDraft();
    if (inPanelForm(event)) untick(event);
  });

  // No answer at all (the server is gone, the network dropped): say so, keep the text.
  document.addEventListener("htmx:error", function (event) {
    if (fromComposer(event)) {
      restoreDraft();
      composerError("Could not reach taskchat, so nothing was sent; your message is still in the box.");
    }
    if (inPanelForm(event)) {
      untick(event);
      var panelError = byId("panel-error");
      if (panelError) panelError.textContent = "Could not reach taskchat, so the task was not changed.";
    }
  });

  // A tick box's own form in the task panel.
  function inPanelForm(event) {
    var ctx = event.detail && event.detail.ctx;
    var source = ctx && ctx.sourceElement;
    return Boolean(source && source.tagName === "FORM" && source.closest && source.closest("#task-panel") &&
      source.querySelector("input[type=checkbox]"));
  }

  // The tick did not happen: the box goes back to what the server still holds.
  function untick(event) {
    var box = event.detail.ctx.sourceElement.querySelector("input[type=checkbox]");
    if (box) box.checked = !box.checked;
  }

  document.addEventListener("htmx:finally:request", function (event) {
    if (fromComposer(event)) {
      byId("composer").dataset.sending = "false";
    }
    var box = byId("message-input");
    var fromSidebar = event.target instanceof Element && event.target.closest("nav.sidebar");
    if (box && (fromComposer(event) || fromChoice(event) || fromSidebar)) {
      box.focus();
    }
  });

  // The task panel reloads itself after a change: the element that had the keyboard focus
  // and an opened "Completed" section are carried over to the new panel.
  var panelState = null;

  // The panel's own reload, a filter link, an edit or delete form: all swap the whole panel.
  function fromPanelReload(event) {
    var ctx = event.detail && event.detail.ctx;
    var target = ctx && ctx.target;
    return Boolean(target && target.id === "task-panel" && ctx.swap && String(ctx.swap).indexOf("outer") === 0 ||
      ctx && ctx.sourceElement && ctx.sourceElement.id === "task-panel");
  }

  document.addEventListener("htmx:before:swap", function (event) {
    if (!fromPanelReload(event)) return;
    var old = byId("task-panel");
    var active = document.activeElement;
    var focusId = active && old.contains(active) ? active.id : "";
    // From inside a task's edit form (which closes when saved): back to its Edit summary.
    var editing = active && active.closest && active.closest("details.task-edit");
    if (editing && old.contains(editing)) focusId = editing.querySelector("summary").id;
    var opened = {};
    old.querySelectorAll("details.completed-tasks[id]").forEach(function (details) { opened[details.id] = details.open; });
    panelState = { focusId: focusId, opened: opened };
  });

  document.addEventListener("htmx:finally:swap", function (event) {
    if (!fromPanelReload(event) || !panelState) return;
    var state = panelState;
    panelState = null;
    var panel = byId("task-panel");
    if (!panel) return;
    Object.keys(state.opened).forEach(function (id) {
      var details = byId(id);
      if (details && panel.contains(details)) details.open = state.opened[id];
    });
    if (state.focusId) {
      var again = byId(state.focusId);
      if (again && panel.contains(again) && again.offsetParent !== null) {
        again.focus();
      } else {
        byId("task-panel-title").focus();
      }
    }
  });

  // After any swap into the conversation (a streamed word, a switched conversation).
  document.addEventListener("htmx:after:swap", function (event) {
    enhance();
    var panel = byId("task-panel");
    if (!(event.target instanceof Element) || !panel || !panel.contains(event.target)) {
      scrollToNewest();
    }
  });

  // Reminders that came due: a light poll of the unread count (every 30 s, and when the tab
  // comes back); a change reloads the notices area, and the browser shows a notification of
  // its own when the user allowed it. Without JavaScript the next page load shows them.
  var POLL_MS = 30000;

  function offerBrowserNotifications(link) {
    if (!("Notification" in window) || Notification.permission !== "default") return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = "Notify me";
    button.addEventListener("click", function () {
      Notification.requestPermission().then(function () { button.remove(); });
    });
    link.insertAdjacentElement("afterend", button);
  }

  function pollNotices(link) {
    var badge = link.querySelector("[data-notice-count]");
    var known = Number(badge.textContent) || 0;
    function poll() {
      if (document.hidden) return;
      fetch(link.dataset.noticeCountUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body || body.count === known) return;
          var grew = body.count > known;
          known = body.count;
          badge.textContent = String(body.count);
          link.setAttribute("aria-label", "Reminders: " + body.count + " unread");
          var area = byId("notices");
          if (area) {
            var url = link.getAttribute("href") + "?fragment=1&next=" + encodeURIComponent(location.pathname);
            fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; })
              .then(function (html) { if (html !== null) area.outerHTML = html; });
          }
          if (grew && body.latest.length && "Notification" in window && Notification.permission === "granted") {
            new Notification("Reminder", { body: body.latest[0].title });
          }
        })
        .catch(function () {});
    }
    setInterval(poll, POLL_MS);
    document.addEventListener("visibilitychange", poll);
    window.taskchatPollNotices = poll;  // the browser tests call it instead of waiting 30 s
  }

  document.addEventListener("DOMContentLoaded", function () {
    var zone = document.querySelector("[data-browser-timezone]");
    var browserZone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && browserZone && zone.querySelector('option[value="' + browserZone + '"]')) {
      zone.value = browserZone;
    }
    var link = document.querySelector("[data-notice-count-url]");
    if (link) {
      offerBrowserNotifications(link);
      pollNotices(link);
    }
    enhance();
    applyTheme(storedTheme());
    scrollToNewest();
  });
})();
