/// The dashboard's script, served by `GET /ui/app.js` from the binary. Without a token in the
/// tab's session storage it shows the login only; with one it polls the admin API once a second
/// (`/routes`, `/routes/{name}/history`, `/events`, and `/fleet` in a fleet) and draws each
/// route's split, rollout, tests, charts and the event timeline, with the rollout's buttons
/// behind a confirmation, and in a fleet every instance. It builds
/// every element with `textContent` (no HTML from data) and talks to its own origin only.
enum DashboardScript {
    static let text = #"""
    "use strict";
    const KEY = "sluice.adminToken";
    const WINDOW = 900; // seconds charted: the 15 minutes the API keeps
    const SVG = "http://www.w3.org/2000/svg";
    const $ = (id) => document.getElementById(id);
    const cards = new Map(); // route name -> {root, parts, history: {latest, seconds: []}}
    let events = [];
    let eventsLatest = -1;
    let generation = 0;
    let inFleet = null; // null until `/fleet` answered once; false when this instance runs alone

    function el(tag, attrs, ...children) {
      const node = document.createElement(tag);
      for (const [k, v] of Object.entries(attrs || {})) {
        if (k === "class") node.className = v; else node.setAttribute(k, v);
      }
      for (const c of children) if (c !== null && c !== undefined) node.append(c);
      return node;
    }

    function svg(tag, attrs, text) {
      const node = document.createElementNS(SVG, tag);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
      if (text !== undefined) node.textContent = text;
      return node;
    }

    const show = (v, unit) => (v === null || v === undefined ? "-" : v + (unit || ""));
    const fixed = (v, d) => (v === null || v === undefined || !isFinite(v) ? "-" : Number(v).toFixed(d));

    // ---------------------------------------------------------------- token and API

    function signIn(token) {
      sessionStorage.setItem(KEY, token);
      start();
    }

    function signOut(message) {
      sessionStorage.removeItem(KEY);
      generation++;
      cards.clear();
      events = [];
      eventsLatest = -1;
      inFleet = null;
      $("fleet").hidden = true;
      $("instance").textContent = location.host;
      $("routes").replaceChildren();
      $("events").replaceChildren();
      $("dashboard").hidden = true;
      $("signout").hidden = true;
      $("status").textContent = "";
      $("login").hidden = false;
      $("login-error").textContent = message || "";
      $("token").value = "";
      $("token").focus();
    }

    class Unauthorized extends Error {}

    /// The API's JSON answer; null for a 404 when `absentIs404` (an endpoint this instance lacks).
    async function api(method, path, body, absentIs404) {
      const headers = { "Authorization": "Bearer " + sessionStorage.getItem(KEY) };
      const init = { method, headers, cache: "no-store" };
      if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      const res = await fetch(path, init);
      const json = await res.json().catch(() => ({}));
      if (res.status === 401) throw new Unauthorized("The token was refused.");
      if (res.status === 403) throw new Unauthorized(json.error || "This Sluice has no admin token configured.");
      if (res.status === 404 && absentIs404) return null;
      if (!res.ok) throw new Error(json.error || "HTTP " + res.status);
      return json;
    }

    // ---------------------------------------------------------------- polling

    function start() {
      $("login").hidden = true;
      $("dashboard").hidden = false;
      $("signout").hidden = false;
      const mine = ++generation;
      const loop = async () => {
        if (mine !== generation) return;
        try {
          await poll();
          $("status").textContent = "updated " + new Date().toLocaleTimeString();
          $("status").className = "";
        } catch (e) {
          if (e instanceof Unauthorized) return signOut(e.message);
          $("status").textContent = "cannot read the admin API: " + e.message;
          $("status").className = "failing";
        }
        if (mine === generation) setTimeout(loop, 1000);
      };
      loop();
    }

    async function poll() {
      const [list] = await Promise.all([api("GET", "/routes"), pollEvents(), pollFleet()]);
      const names = new Set(list.routes.map((r) => r.name));
      for (const name of [...cards.keys()]) {
        if (!names.has(name)) { cards.get(name).root.remove(); cards.delete(name); }
      }
      await Promise.all(list.routes.map(async (route) => {
        const card = cards.get(route.name) || addCard(route.name);
        await pollHistory(card);
        render(card, route);
      }));
    }

    async function pollEvents() {
      if (eventsLatest < 0) {
        // The newest 100 to begin with, paged from the start: ids may skip numbers (in a
        // fleet they are store revisions).
        let page = {more: true, next: 0};
        while (page.more) {
          page = await api("GET", "/events?since=" + page.next + "&limit=1000");
          events = events.concat(page.events).slice(-100);
        }
        eventsLatest = page.next;
        $("events").replaceChildren(...events.slice().reverse().map(eventItem));
        return;
      }
      const got = await api("GET", "/events?since=" + eventsLatest + "&limit=1000");
      if (got.latest < eventsLatest) { events = []; eventsLatest = -1; return; } // a new event log
      if (got.events.length === 0) return;
      events = events.concat(got.events).slice(-200);
      eventsLatest = got.latest;
      $("events").replaceChildren(...events.slice().reverse().map(eventItem));
    }

    // An instance started without --store answers 404 once, and is not asked again.
    async function pollFleet() {
      if (inFleet === false) return;
      const fleet = await api("GET", "/fleet", undefined, true);
      inFleet = fleet !== null;
      $("fleet").hidden = !inFleet;
      if (inFleet) renderFleet(fleet);
    }

    async function pollHistory(card) {
      const h = card.history;
      const got = await api("GET", "/routes/" + encodeURIComponent(card.name) + "/history?since=" + h.latest);
      if (got.latest < h.latest) { h.latest = 0; h.seconds = []; return; } // Sluice restarted
      h.seconds = h.seconds.concat(got.seconds).slice(-WINDOW);
      h.latest = got.latest;
    }

    // ---------------------------------------------------------------- one route

    const COMMANDS = [
      ["pause", "Pause", "Pause the rollout of {r}? It stops advancing; a regression still reverts it."],
      ["resume", "Resume", "Resume the rollout of {r}? The step's weights come back."],
      ["promote", "Promote", "Advance the rollout of {r} to its next step now (promote at the last)?"],
      ["abort", "Abort", "Abort the rollout of {r}? {t} goes to 0% now."],
      ["rollback", "Roll back", "Roll {r} back? All traffic goes to the previous stable pool now."],
    ];

    function addCard(name) {
      const part = () => el("div");
      const parts = { head: part(), split: part(), rollout: part(), tests: part(), charts: el("div", { class: "charts" }) };
      const buttons = {};
      const controls = el("div", { class: "controls" });
      for (const [verb, label] of COMMANDS) {
        buttons[verb] = el("button", { type: "button", "data-command": verb, class: verb === "abort" || verb === "rollback" ? "danger" : "" }, label);
        buttons[verb].addEventListener("click", () => confirmCommand(card, verb));
        controls.append(buttons[verb]);
      }
      const root = el("section", { class: "card route", "data-route": name },
        parts.head, parts.split, parts.rollout, controls, parts.tests, el("h3", {}, "Last 15 minutes, per second"), parts.charts);
      const card = { name, root, parts, buttons, route: null, history: { latest: 0, seconds: [] } };
      $("routes").append(root);
      cards.set(name, card);
      return card;
    }

    function render(card, route) {
      card.route = route;
      const r = route.rollout || { state: "idle" };
      const p = card.parts;
      p.head.replaceChildren(el("div", { class: "route-head" },
        el("h2", {}, route.name),
        el("span", { class: "muted" }, "match " + (route.match.host ? route.match.host + " " : "") + route.match.pathPrefix),
        el("span", {}, "stable: " + route.stable)));
      p.split.replaceChildren(...split(route));
      p.rollout.replaceChildren(...rollout(r));
      p.tests.replaceChildren(...tests(r));
      p.charts.replaceChildren(...charts(card.history));
      const active = r.state === "running" || r.state === "paused";
      const allowed = { pause: r.state === "running", resume: r.state === "paused", promote: active, abort: active,
                        rollback: r.state === "promoted" };
      for (const [verb, button] of Object.entries(card.buttons)) button.disabled = !allowed[verb];
    }

    function split(route) {
      const w = route.weights;
      const bar = el("div", { class: "split", role: "img", "aria-label": "blue " + w.blue + "% · green " + w.green + "%" });
      for (const pool of ["blue", "green"]) {
        if (w[pool] === 0) continue;
        const seg = el("div", { class: pool }, w[pool] >= 12 ? pool + " " + w[pool] + "%" : "");
        seg.style.width = w[pool] + "%";
        bar.append(seg);
      }
      const health = ["blue", "green"].map((pool) => {
        const backends = route.pools[pool].backends.map((b) =>
          b.healthy ? el("span", {}, b.address) : el("span", { class: "down" }, b.address + " (DOWN)"));
        const s = route.stats[pool];
        return el("div", { class: "muted" }, pool + ": " + show(s.ratePerSecond) + " req/s, " + show(s.requests) +
          " requests, 5xx " + fixed(s.errorRate * 100, 2) + "%, p50/p95/p99 " + show(s.p50Ms) + "/" + show(s.p95Ms) + "/" +
          show(s.p99Ms) + " ms since start; backends ", ...join(backends, ", "));
      });
      return [bar, el("div", { class: "split-text" }, "blue " + w.blue + "% · green " + w.green + "%" +
        " (stable " + route.stable + ")"), ...health];
    }

    function join(nodes, sep) {
      return nodes.flatMap((n, i) => (i === 0 ? [n] : [sep, n]));
    }

    function rollout(r) {
      const line = el("div", {}, "Rollout: ", el("span", { class: "state " + r.state }, r.state));
      if (!r.steps) return [line];
      line.append(" — " + r.to + " at " + r.weight + "% (step " + r.step + " of " + r.steps.length + ")");
      if (r.state === "running" || r.state === "paused") {
        line.append(", hold left " + r.holdLeft + " (held " + r.held + "), " + r.stepRequests + "/" + r.minRequests + " requests");
        if (r.holdExtended) line.append(" (hold extended: too few requests)");
      }
      if (r.reason) line.append(": " + r.reason);
      const steps = el("ol", { class: "steps", "aria-label": "plan" });
      r.steps.forEach((s, i) => {
        const now = i + 1 === r.step;
        const hold = i < r.holds.length ? ", hold " + r.holds[i] : "";
        steps.append(el("li", { class: now ? "current" : i + 1 < r.step ? "done" : "", "aria-current": now ? "step" : "false" },
          (now ? "▶ step " : "step ") + (i + 1) + ": " + s + "%" + hold));
      });
      return [line, steps];
    }

    function tests(r) {
      if (!r.tests) return [];
      const pools = el("table", {}, el("tr", {}, ...["pool", "requests", "errors", "p50 ms", "p95 ms", "p99 ms"].map((h) => el("th", {}, h))));
      for (const name of [r.to, r.to === "green" ? "blue" : "green"]) {
        const q = r.pools[name];
        pools.append(el("tr", {}, el("td", {}, name + (name === r.to ? " (target)" : " (stable)")),
          ...[q.requests, fixed(q.errorRate * 100, 2) + "%", show(q.p50Ms), show(q.p95Ms), show(q.p99Ms)].map((v) => el("td", { class: "num" }, String(v)))));
      }
      const table = el("table", { class: "tests" }, el("tr", {}, ...["test", "statistic / threshold", "", "needs"].map((h) => el("th", {}, h))));
      for (const name of ["errors", "latencyTail", "latencyShift"]) {
        const t = r.tests[name];
        if (!t) continue;
        const meter = el("div", { class: "meter" + (t.fires ? " fires" : ""), role: "meter", "aria-valuemin": "0",
                                  "aria-valuemax": String(t.threshold), "aria-valuenow": String(t.statistic) }, el("div"));
        meter.firstChild.style.width = Math.max(0, Math.min(1, t.statistic / t.threshold)) * 100 + "%";
        table.append(el("tr", { "data-test": name }, el("td", {}, name), el("td", { class: "num" }, "statistic " + t.statistic + " / " + t.threshold),
          el("td", {}, meter), el("td", {}, t.needs)));
      }
      return [el("h3", {}, "The judge over this rollout (" + r.judgedSeconds + " s judged; slow means over " + show(r.slowFromMs) + " ms)"),
              pools, table];
    }

    // ---------------------------------------------------------------- the fleet

    function renderFleet(f) {
      const store = f.store;
      const summary = el("p", {}, "leader: ", el("strong", {}, f.leader || "none"), " · this page: " + f.self +
        (f.leading ? " (the leader)" : "") + " · store " + store.endpoints.join(", ") + " " + store.prefix + ": ");
      if (store.reachable) {
        summary.append(el("span", { class: "store-ok" }, "reachable, revision " + store.revision));
      } else {
        summary.append(el("span", { class: "store-down" }, "UNREACHABLE since " + store.unreachableSince +
          ": every instance serves the weights it last applied; no rollout advances"));
      }
      const latest = Math.max(0, ...f.instances.map((i) => i.appliedRevision));
      const table = el("table", { id: "fleet-instances" }, el("tr", {}, ...["instance", "role", "applied change", "green %",
        "last seen", "listen", "admin"].map((h) => el("th", {}, h))));
      for (const i of f.instances) {
        const weights = Object.entries(i.weights).map(([route, green]) => route + " " + green + "%").join(", ");
        const applied = i.appliedRevision + (i.appliedRevision === latest ? " (latest)" : " (behind)");
        table.append(el("tr", { "data-instance": i.name, class: i.name === f.leader ? "leader" : "" },
          el("td", {}, i.name + (i.self ? " (this page)" : "")), el("td", {}, i.name === f.leader ? "leader" : "follower"),
          el("td", { class: i.appliedRevision === latest ? "" : "down" }, applied), el("td", {}, weights || "-"),
          el("td", {}, ago(i.lastSeen)), el("td", {}, i.listen), el("td", {}, i.admin)));
      }
      $("fleet-body").replaceChildren(summary, table);
      $("instance").textContent = location.host + " · instance " + f.self;
    }

    function ago(time) {
      const s = (Date.now() - Date.parse(time)) / 1000;
      return isFinite(s) ? Math.max(0, Math.round(s)) + " s ago" : time;
    }

    // ---------------------------------------------------------------- charts

    function charts(history) {
      const s = history.seconds;
      const last = history.latest;
      const pick = (f) => ["blue", "green"].map((pool) => s.map((x) => [x.second, f(x[pool])]));
      return [
        chart("Requests per second", pick((q) => q.requests), last, ""),
        chart("Error rate", pick((q) => (q.requests > 0 ? (100 * q.failures) / q.requests : null)), last, "%"),
        chart("p50 latency", pick((q) => q.p50Ms), last, " ms"),
        chart("p95 latency", pick((q) => q.p95Ms), last, " ms"),
        chart("p99 latency", pick((q) => q.p99Ms), last, " ms"),
      ];
    }

    function chart(title, series, last, unit) {
      const W = 300, H = 110, L = 34, B = 16;
      let max = 0;
      for (const line of series) for (const [, v] of line) if (v !== null && v > max) max = v;
      max = niceCeiling(max);
      const x = (n) => L + ((n - (last - WINDOW + 1)) / (WINDOW - 1)) * (W - L - 2);
      const y = (v) => H - B - (v / max) * (H - B - 6);
      const box = svg("svg", { class: "chart", viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": title });
      for (const v of [0, max / 2, max]) {
        box.append(svg("line", { class: "axis", x1: L, x2: W, y1: y(v), y2: y(v) }));
        box.append(svg("text", { x: L - 4, y: y(v) + 3, "text-anchor": "end" }, short(v)));
      }
      for (const [label, ago] of [["−15 min", WINDOW - 1], ["−10", 600], ["−5", 300], ["now", 0]]) {
        box.append(svg("text", { x: x(last - ago), y: H - 3, "text-anchor": ago === 0 ? "end" : ago === WINDOW - 1 ? "start" : "middle" }, label));
      }
      const legend = el("div", { class: "legend" });
      ["blue", "green"].forEach((pool, i) => {
        let d = "", pen = "M";
        for (const [n, v] of series[i]) {
          if (v === null) { pen = "M"; continue; }
          d += pen + x(n).toFixed(1) + " " + y(v).toFixed(1) + " ";
          pen = "L";
        }
        if (d) box.append(svg("path", { class: pool, d, "data-pool": pool }));
        const now = series[i].length ? series[i][series[i].length - 1][1] : null;
        legend.append(el("span", { class: pool }, (i ? "┅ " : "━ ") + pool + " " + (now === null ? "none" : short(now) + unit)));
      });
      return el("figure", {}, el("figcaption", {}, title), box, legend);
    }

    function niceCeiling(v) {
      if (!(v > 0)) return 1;
      const p = Math.pow(10, Math.floor(Math.log10(v)));
      for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
      return 10 * p;
    }

    function short(v) {
      if (v >= 1000) return (v / 1000).toFixed(v >= 10000 ? 0 : 1) + "k";
      return String(Number(v.toFixed(v >= 10 ? 0 : v >= 1 ? 1 : 2)));
    }

    // ---------------------------------------------------------------- events

    function eventItem(e) {
      const time = new Date(e.timestamp).toLocaleTimeString();
      return el("li", { "data-event": String(e.id) },
        el("span", { class: "muted" }, time + " "), el("span", { class: "type" }, e.type),
        (e.route ? " " + e.route : "") + " by " + e.actor + (e.reason ? ": " + e.reason : ""),
        el("div", { class: "muted" }, details(e.details || {})));
    }

    function details(d) {
      const parts = [];
      for (const [k, v] of Object.entries(d)) {
        if (k === "message" || k === "figures") continue;
        parts.push(k + " " + (Array.isArray(v) ? v.join(", ") : typeof v === "object" && v !== null ? JSON.stringify(v) : v));
      }
      const f = d.figures;
      if (f && f.pools) {
        for (const [pool, q] of Object.entries(f.pools)) {
          parts.push(pool + ": " + q.requests + " requests, " + fixed(q.errorRate * 100, 2) + "% errors, p50/p95/p99 " +
            show(q.p50Ms) + "/" + show(q.p95Ms) + "/" + show(q.p99Ms) + " ms");
        }
        for (const [test, t] of Object.entries(f.tests || {})) parts.push(test + " statistic " + t.statistic + " / " + t.threshold + " — " + t.needs);
      }
      return parts.join("; ");
    }

    // ---------------------------------------------------------------- commands

    function confirmCommand(card, verb) {
      const [, label, text] = COMMANDS.find((c) => c[0] === verb);
      const target = card.route && card.route.rollout ? card.route.rollout.to : "the target";
      $("confirm-title").textContent = label + " " + card.name;
      $("confirm-text").textContent = text.replace("{r}", card.name).replace("{t}", target);
      $("confirm-reason").value = "";
      const dialog = $("confirm");
      $("confirm-ok").onclick = async () => {
        dialog.close();
        const reason = $("confirm-reason").value.trim();
        const path = "/routes/" + encodeURIComponent(card.name) + (verb === "rollback" ? "/rollback" : "/rollout/" + verb);
        try {
          await api("POST", path, reason ? { reason } : undefined);
          $("status").textContent = label + " " + card.name + ": done";
          $("status").className = "";
        } catch (e) {
          if (e instanceof Unauthorized) return signOut(e.message);
          $("status").textContent = label + " " + card.name + " refused: " + e.message;
          $("status").className = "failing";
        }
      };
      $("confirm-cancel").onclick = () => dialog.close();
      dialog.showModal();
    }

    // ---------------------------------------------------------------- start

    document.addEventListener("DOMContentLoaded", () => {
      $("instance").textContent = location.host;
      $("login").addEventListener("submit", (e) => {
        e.preventDefault();
        const token = $("token").value.trim();
        if (token) signIn(token);
      });
      $("signout").addEventListener("click", () => signOut(""));
      if (sessionStorage.getItem(KEY)) start(); else signOut("");
    });
    """#
}
