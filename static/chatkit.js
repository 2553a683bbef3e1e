// Wires the ChatKit web component (from OpenAI's CDN) to taskchat's /api/v1/chatkit.
// The page is signed in by an HttpOnly cookie; cookie-authenticated POSTs need the
// double-submit CSRF token, which the readable csrf_access_token cookie carries.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("chatkit-config").textContent);

  function cookie(name) {
    var pairs = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < pairs.length; i++) {
      var at = pairs[i].indexOf("=");
      if (pairs[i].slice(0, at) === name) {
        return decodeURIComponent(pairs[i].slice(at + 1));
      }
    }
    return null;
  }

  // ChatKit calls this for every request; it adds our credentials and nothing else.
  function chatkitFetch(input, init) {
    init = init || {};
    var headers = new Headers(init.headers || {});
    var csrf = cookie("csrf_access_token");
    if (csrf) {
      headers.set("X-CSRF-TOKEN", csrf);
    }
    if (!headers.has("Content-Type")) {
      headers.set("Content-Type", "application/json");
    }
    var body = init.body;
    if (typeof body === "string" && body.charAt(0) === "{") {
      // Tell the backend this client takes questions as structured input (others get buttons).
      try {
        var request = JSON.parse(body);
        if (request && typeof request.type === "string") {
          request.metadata = Object.assign({}, request.metadata, { structured_input: true });
          body = JSON.stringify(request);
        }
      } catch (ignored) {
        // not JSON after all: send it as it is
      }
    }
    return fetch(input, Object.assign({}, init, { body: body, headers: headers, credentials: "same-origin" })).then(
      function (response) {
        if (response.status === 401) {
          // The sign-in expired: go through the login page and come back here.
          window.location.assign(config.loginUrl + "?next=" + encodeURIComponent(window.location.pathname));
        }
        return response;
      }
    );
  }

  window.taskchatChatkitFetch = chatkitFetch;

  var element = document.getElementById("chatkit");
  var panel = document.getElementById("chatkit-panel");
  var launcher = document.getElementById("chatkit-launcher");
  document.documentElement.style.setProperty("--chatkit-accent", config.accent);

  function setOpen(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
  }
  launcher.addEventListener("click", function () {
    setOpen(panel.hidden);
  });

  // The component cannot be had (offline, blocked, or it never defines itself): say so in the
  // panel, opened, with the link to the plain chat, rather than leave an empty box.
  var settled = false;
  function unavailable() {
    if (settled) {
      return;
    }
    settled = true;
    element.hidden = true;
    document.getElementById("chatkit-offline").hidden = false;
    document.body.dataset.chatkit = "unavailable";
    setOpen(true);
  }
  var patience = window.setTimeout(unavailable, 8000);

  // @-mentions: the user's tasks whose title matches what follows the @.
  function searchTasks(query) {
    var url = config.tasksUrl + "?q=" + encodeURIComponent(query);
    return chatkitFetch(url, { method: "GET" })
      .then(function (response) {
        return response.ok ? response.json() : { tasks: [] };
      })
      .then(function (body) {
        return body.tasks.slice(0, 8).map(function (task) {
          return {
            id: "task-" + task.number,
            title: task.title + " (task " + task.number + ")",
            group: "Tasks",
            interactive: false,
            data: { number: task.number },
          };
        });
      });
  }

  function options() {
    var composer = { placeholder: "Add a task, or ask what's due\u2026", attachments: { enabled: false } };
    if (config.dictation) {
      composer.dictation = { enabled: true };
    }
    return {
      api: { url: config.apiUrl, domainKey: config.domainKey, fetch: chatkitFetch },
      theme: { colorScheme: "light", color: { accent: { primary: config.accent, level: 2 } } },
      header: { enabled: true, title: { text: config.title } },
      history: { enabled: true, showDelete: true, showRename: true },
      threadItemActions: { feedback: true, retry: true },
      composer: composer,
      entities: { onTagSearch: searchTasks },
      startScreen: { greeting: config.greeting, prompts: config.prompts },
    };
  }
  window.taskchatChatkitOptions = options;

  customElements.whenDefined("openai-chatkit").then(function () {
    if (settled) {
      return;
    }
    settled = true;
    window.clearTimeout(patience);
    document.body.dataset.chatkit = "ready";
    element.setOptions(options());
  });

  var script = document.createElement("script");
  script.src = config.scriptUrl;
  script.async = true;
  script.addEventListener("error", unavailable);
  document.head.appendChild(script);
})();
