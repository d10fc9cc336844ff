/* The web chat: a small page over POST /api/chat/{id}. No framework, no build, nothing external.
   The conversation id and the transcript stay in this browser (localStorage) so a reload resumes;
   "new conversation" forgets them here; erasing (SUPPRIMER) or refusing consent forgets them
   here as on the server. Written for old phones: ES2015, fetch, no library. */
(function () {
  "use strict";

  var UI = {
    fr: {
      title: "Aide rendez-vous préfecture", restart: "Nouvelle conversation", label: "Votre message",
      placeholder: "Écrivez ici…", send: "Envoyer", typing: "L'assistant écrit…", retry: "Réessayer",
      you: "Vous :", bot: "Assistant :", choices: "Réponses possibles", notSent: "Non envoyé",
      confirmRestart: "Commencer une nouvelle conversation ? Celle-ci ne sera plus affichée ici.",
      network: "Nous n'arrivons pas à joindre le service. Vérifiez votre connexion internet, puis réessayez.",
      server: "Le service a un problème en ce moment. Vos réponses déjà envoyées sont gardées. Réessayez dans un instant.",
      client: "Ce message n'a pas pu être lu. Réessayez, ou écrivez-le autrement.",
      busy: "Trop de messages d'un coup. Attendez un peu, puis réessayez."
    },
    en: {
      title: "Prefecture appointment help", restart: "New conversation", label: "Your message",
      placeholder: "Write here…", send: "Send", typing: "The assistant is writing…", retry: "Try again",
      you: "You:", bot: "Assistant:", choices: "Possible answers", notSent: "Not sent",
      confirmRestart: "Start a new conversation? This one will no longer be shown here.",
      network: "We cannot reach the service. Check your internet connection, then try again.",
      server: "The service has a problem right now. The answers you already sent are kept. Try again in a moment.",
      client: "This message could not be read. Try again, or write it differently.",
      busy: "Too many messages at once. Wait a little, then try again."
    },
    es: {
      title: "Ayuda cita en la prefectura", restart: "Nueva conversación", label: "Su mensaje",
      placeholder: "Escriba aquí…", send: "Enviar", typing: "El asistente está escribiendo…", retry: "Reintentar",
      you: "Usted:", bot: "Asistente:", choices: "Respuestas posibles", notSent: "No enviado",
      confirmRestart: "¿Empezar una nueva conversación? Esta ya no se mostrará aquí.",
      network: "No podemos conectar con el servicio. Compruebe su conexión a internet y vuelva a intentarlo.",
      server: "El servicio tiene un problema ahora. Sus respuestas ya enviadas se guardan. Vuelva a intentarlo en un momento.",
      client: "No se pudo leer este mensaje. Vuelva a intentarlo o escríbalo de otra forma.",
      busy: "Demasiados mensajes a la vez. Espere un poco y vuelva a intentarlo."
    },
    ar: {
      title: "مساعدة في مواعيد المحافظة", restart: "محادثة جديدة", label: "رسالتك",
      placeholder: "اكتب هنا…", send: "إرسال", typing: "المساعد يكتب…", retry: "أعد المحاولة",
      you: "أنت:", bot: "المساعد:", choices: "الإجابات الممكنة", notSent: "لم تُرسَل",
      confirmRestart: "هل تريد بدء محادثة جديدة؟ لن تظهر هذه المحادثة هنا بعد الآن.",
      network: "تعذّر الاتصال بالخدمة. تحقّق من اتصالك بالإنترنت ثم أعد المحاولة.",
      server: "الخدمة تواجه مشكلة الآن. إجاباتك التي أرسلتها محفوظة. أعد المحاولة بعد قليل.",
      client: "تعذّرت قراءة هذه الرسالة. أعد المحاولة أو اكتبها بطريقة أخرى.",
      busy: "رسائل كثيرة في وقت واحد. انتظر قليلاً ثم أعد المحاولة."
    }
  };
  var RTL = { ar: true };
  var ARABIC = /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/g;
  var LATIN = /[A-Za-z\u00C0-\u024F]/g;
  var ID_KEY = "triage.chat.id";
  var MAX_KEPT = 200;
  var TIMEOUT_MS = 20000;

  var $ = function (id) { return document.getElementById(id); };
  var log = $("log"), form = $("composer"), input = $("message"), send = $("send");
  var typing = $("typing"), problem = $("problem"), problemText = $("problem-text");
  var retry = $("retry"), restart = $("restart");

  // localStorage may be missing or refuse writes (private mode, full): keep going in memory.
  var memory = {};
  var storage = {
    get: function (key) {
      try { return window.localStorage.getItem(key); } catch (e) { return memory[key] || null; }
    },
    set: function (key, value) {
      try { window.localStorage.setItem(key, value); } catch (e) { memory[key] = value; }
    },
    remove: function (key) {
      try { window.localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
      delete memory[key];
    }
  };

  function newId() {
    var bytes = new Uint8Array(16), out = "";
    window.crypto.getRandomValues(bytes);
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] + 256).toString(16).slice(1);
    return out.slice(0, 8) + "-" + out.slice(8, 16) + "-" + out.slice(16);
  }

  function validId(id) { return typeof id === "string" && /^[A-Za-z0-9-]{8,64}$/.test(id); }

  var conversation = storage.get(ID_KEY);
  if (!validId(conversation)) { conversation = newId(); storage.set(ID_KEY, conversation); }
  var transcriptKey = function () { return "triage.chat.log." + conversation; };
  var langKey = function () { return "triage.chat.lang." + conversation; };
  // The ids of the messages from a volunteer shown here: the server gives each until told.
  var seenKey = function () { return "triage.chat.seen." + conversation; };

  function loadTranscript() {
    try {
      var items = JSON.parse(storage.get(transcriptKey()) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (e) { return []; }
  }
  var transcript = loadTranscript();
  function keep(item) {
    transcript.push(item);
    if (transcript.length > MAX_KEPT) transcript = transcript.slice(-MAX_KEPT);
    storage.set(transcriptKey(), JSON.stringify(transcript));
  }

  // -- language and direction --------------------------------------------------------------------

  // Until the person picks a language the bot speaks French, and so does the page around it.
  var DEFAULT_LANG = "fr";
  var lang = storage.get(langKey()) || DEFAULT_LANG;

  function applyLang(code) {
    if (!UI[code]) return;
    lang = code;
    storage.set(langKey(), code);
    var t = UI[code], root = document.documentElement;
    root.lang = code;
    root.dir = RTL[code] ? "rtl" : "ltr";
    var labelled = document.querySelectorAll("[data-t]");
    for (var i = 0; i < labelled.length; i++) labelled[i].textContent = t[labelled[i].getAttribute("data-t")];
    input.placeholder = t.placeholder;
    // An empty auto input is left-to-right in Chromium: in Arabic the caret starts on the right.
    input.dir = RTL[code] ? "rtl" : "auto";
    document.title = t.title;
    var groups = log.querySelectorAll(".choices");
    for (var j = 0; j < groups.length; j++) groups[j].setAttribute("aria-label", t.choices);
  }

  // The bot answers in the conversation's language: Arabic script in its reply means Arabic.
  function langOfReply(text) {
    var arabic = (text.match(ARABIC) || []).length, latin = (text.match(LATIN) || []).length;
    if (arabic > latin) return "ar";
    if (latin > arabic && lang === "ar") return null; // left Arabic: which Latin language is unknown
    return lang;
  }

  // -- rendering ---------------------------------------------------------------------------------

  function bubble(who, text) {
    var item = document.createElement("li");
    item.className = "msg " + who;
    var sender = document.createElement("span");
    sender.className = "visually-hidden";
    sender.textContent = who === "me" ? UI[lang].you : UI[lang].bot;
    var body = document.createElement("p");
    body.className = "bubble";
    body.dir = "auto";
    body.textContent = text;
    item.appendChild(sender);
    item.appendChild(body);
    log.appendChild(item);
    return item;
  }

  function clearChoices() {
    var groups = log.querySelectorAll(".choices");
    for (var i = 0; i < groups.length; i++) groups[i].parentNode.removeChild(groups[i]);
  }

  function choices(item, options) {
    var group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", UI[lang].choices);
    options.forEach(function (option) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "choice";
      button.dir = "auto";
      button.textContent = option.label;
      button.addEventListener("click", function () { choose(option); });
      group.appendChild(button);
    });
    item.appendChild(group);
    return group;
  }

  function scrollDown() {
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var last = log.lastElementChild;
    if (last && last.scrollIntoView) last.scrollIntoView({ block: "end", behavior: still ? "auto" : "smooth" });
  }

  function showReplies(replies) {
    var lastGroup = null;
    replies.forEach(function (reply) {
      var text = typeof reply.text === "string" ? reply.text : "";
      var options = Array.isArray(reply.options) ? reply.options.filter(function (o) {
        return o && typeof o.id === "string" && typeof o.label === "string";
      }) : [];
      var detected = langOfReply(text);
      if (detected === null) applyLang(DEFAULT_LANG);
      else if (detected !== lang) applyLang(detected);
      var item = bubble("bot", text);
      if (options.length) lastGroup = choices(item, options);
      keep({ who: "bot", text: text, options: options });
    });
    scrollDown();
    return lastGroup;
  }

  function restore() {
    applyLang(lang);
    transcript.forEach(function (entry, index) {
      var item = bubble(entry.who === "me" ? "me" : "bot", String(entry.text || ""));
      var last = index === transcript.length - 1;
      if (last && entry.who === "bot" && Array.isArray(entry.options) && entry.options.length) {
        choices(item, entry.options);
      }
    });
    scrollDown();
  }

  // -- talking to the server ---------------------------------------------------------------------

  var busy = false, failed = null;

  function setBusy(on) {
    busy = on;
    send.disabled = on;
    typing.hidden = !on;
    log.setAttribute("aria-busy", on ? "true" : "false");
  }

  function showProblem(kind, payload, mine) {
    failed = { payload: payload, mine: mine };
    problemText.textContent = UI[lang][kind];
    problem.hidden = false;
    if (mine && !mine.classList.contains("failed")) {
      mine.classList.add("failed");
      var note = document.createElement("span");
      note.className = "note";
      note.textContent = UI[lang].notSent;
      mine.appendChild(note);
    }
    retry.focus();
  }

  function hideProblem() {
    failed = null;
    problem.hidden = true;
  }

  function post(payload, mine, focusAfter) {
    if (busy) return;
    hideProblem();
    setBusy(true);
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    fetch("/api/chat/" + encodeURIComponent(conversation), {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(payload),
      signal: controller ? controller.signal : undefined,
      credentials: "omit",
      cache: "no-store"
    }).then(function (response) {
      if (!response.ok) {
        var kind = response.status === 429 ? "busy" : response.status >= 500 ? "server" : "client";
        throw { kind: kind };
      }
      return response.json().catch(function () { throw { kind: "server" }; });
    }).then(function (body) {
      if (timer) clearTimeout(timer);
      setBusy(false);
      if (mine && mine.classList.contains("failed")) {
        mine.classList.remove("failed");
        mine.removeChild(mine.querySelector(".note"));
      }
      var group = showReplies(body && Array.isArray(body.replies) ? body.replies : []);
      if (body && body.erased === true) forgetHere();
      if (focusAfter === "choice" && group && group.firstChild) group.firstChild.focus();
      else if (focusAfter) input.focus();
    }).catch(function (error) {
      if (timer) clearTimeout(timer);
      setBusy(false);
      showProblem(error && error.kind ? error.kind : "network", payload, mine);
    });
  }

  // -- what is written later (the volunteer who takes the case, their messages) ----------------

  // The server keeps them until the page says it has shown them (`seen`): a poll lost on a bad
  // connection loses nothing. Only while the page is visible, and once a conversation exists.
  var POLL_MS = 15000, polling = false;

  function poll() {
    if (polling || busy || document.hidden || !transcript.length) return;
    polling = true;
    var seen = storage.get(seenKey());
    var url = "/api/chat/" + encodeURIComponent(conversation) + (seen ? "?seen=" + encodeURIComponent(seen) : "");
    // Acknowledged by this very request: what it brings is the next to acknowledge.
    var asked = conversation;
    fetch(url, { method: "GET", headers: { "Accept": "application/json" }, credentials: "omit", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        polling = false;
        if (asked !== conversation || busy) return; // erased or restarted meanwhile; or asked again soon
        if (!body || !Array.isArray(body.replies)) return; // not acknowledged: sent again next time
        var replies = body.replies;
        var ids = replies.map(function (r) { return r && typeof r.id === "string" ? r.id : ""; });
        if (ids.join("")) storage.set(seenKey(), ids.filter(Boolean).join(","));
        else storage.remove(seenKey());
        if (!replies.length) return;
        // New buttons (a reminder's question) replace those shown; a message alone keeps them.
        if (replies.some(function (r) { return r && Array.isArray(r.options) && r.options.length; })) clearChoices();
        showReplies(replies);
      })
      .catch(function () { polling = false; });
  }

  setInterval(poll, POLL_MS);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });

  function say(text) {
    clearChoices();
    var mine = bubble("me", text);
    keep({ who: "me", text: text });
    scrollDown();
    post({ text: text }, mine, "input");
  }

  function choose(option) {
    if (busy) return;
    if (UI[option.id]) applyLang(option.id); // the language question's options are language codes
    clearChoices();
    var mine = bubble("me", option.label);
    keep({ who: "me", text: option.label });
    scrollDown();
    post({ option: option.id }, mine, "choice");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.replace(/^\s+|\s+$/g, "");
    if (!text || busy) return;
    input.value = "";
    say(text);
  });

  retry.addEventListener("click", function () {
    if (failed) post(failed.payload, failed.mine, "input");
  });

  // The person erased their data (or refused to give it): this browser keeps none of it either.
  // What is on screen stays until the page is left, so that "everything is erased" can be read;
  // the next message starts a new conversation.
  function forgetHere() {
    storage.remove(transcriptKey());
    storage.remove(langKey());
    storage.remove(seenKey());
    conversation = newId();
    storage.set(ID_KEY, conversation);
    transcript = [];
  }

  restart.addEventListener("click", function () {
    if (transcript.length && !window.confirm(UI[lang].confirmRestart)) return;
    storage.remove(transcriptKey());
    storage.remove(langKey());
    storage.remove(seenKey());
    conversation = newId();
    storage.set(ID_KEY, conversation);
    transcript = [];
    while (log.firstChild) log.removeChild(log.firstChild);
    hideProblem();
    applyLang(DEFAULT_LANG);
    post({ text: "/start" }, null, "input");
  });

  restore();
  poll(); // a reload shows at once what a volunteer wrote meanwhile
  // A first visit (or a transcript lost with the storage) opens the conversation: the bot greets.
  if (!transcript.length) post({ text: "/start" }, null, null);
})();
