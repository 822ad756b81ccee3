// corpgraph web workbench. Plain JavaScript, no build step, no external resource.
// Data is always inserted with textContent (never innerHTML): names are untrusted.
// Every label goes through the message catalogue (/ui/i18n/<lang>.json, the same
// catalogue the server renders its templates with); money and dates through
// format.js. Lists are drawn by one table component with a pager.
"use strict";

(async function () {
  const KEY = "corpgraph_api_key";
  const USER = "corpgraph_user";
  const F = window.corpgraphFormat;
  const body = document.body;
  const page = body.dataset.page;
  const lang = body.dataset.language === "en" ? "en" : "zh";
  const subject = body.dataset.subject || "";
  const pageRoles = (body.dataset.roles || "").split(" ").filter(Boolean);
  const PAGE_SIZE = 20;

  // ---------------------------------------------------------------- the catalogue
  let MESSAGES = {};
  let CODE_LISTS = {};
  const _ = (msgid) => MESSAGES[msgid] || msgid;
  /** The catalogue's name of `code` in code list `list` (the code itself when unnamed). */
  const codeName = (list, code) => (code === null || code === undefined || code === "" ? "" : MESSAGES[list + "\u0004" + code] || String(code));
  const codesOf = (list) => CODE_LISTS[list] || [];
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));

  // ---------------------------------------------------------------- DOM helpers
  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.entries(props || {}).forEach(([k, v]) => {
      if (v === undefined || v === null || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach((c) => {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  const link = (text, href) => el("a", { href, text });
  const customerHref = (id) => "/ui/customers/" + encodeURIComponent(id);

  function money(value, compact) {
    if (!value || value.amount === undefined || value.amount === null) return "";
    return el("span", { title: F.formatMoney(value.amount, value.currency, "en"), text: F.formatMoney(value.amount, value.currency, lang, compact) });
  }
  /** The amount as plain text, for sentences and chart labels. */
  const moneyText = (value, compact) => (value && value.amount !== undefined && value.amount !== null ? F.formatMoney(value.amount, value.currency, lang, compact) : "");
  /** Amounts in several currencies; with ``cny`` (a CnyEquivalentOut) their CNY equivalent
   *  follows when a currency other than CNY is among them, and an amount without a rate
   *  is marked rather than left out. */
  function moneyList(values, compact, cny) {
    values = (values || []).filter((m) => m && m.amount !== undefined && m.amount !== null);
    if (!values.length) return "";
    const amounts = el("span", {
      title: values.map((m) => F.formatMoney(m.amount, m.currency, "en")).join(" + "),
      text: values.map((m) => F.formatMoney(m.amount, m.currency, lang, compact)).join(" + "),
    });
    if (!cny || values.every((m) => m.currency === "CNY")) return amounts;
    const rates = (cny.rates || []).map((r) => fill(_("1 {currency} = {rate} CNY on {date}"), { currency: r.currency, rate: r.cny_per_unit, date: date(r.rate_date) }));
    const parts = [amounts, el("span", { class: "cg-cny-equivalent text-secondary", title: rates.join("; "), text: " " + fill(_("≈ {amount} in CNY"), { amount: moneyText(cny.amount, compact) }) })];
    if (!cny.complete) {
      parts.push(el("span", { class: "badge cg-tone-warning cg-no-rate", text: fill(_("{amounts}: no rate"), { amounts: cny.no_rate.map((m) => moneyText(m, compact)).join(" + ") }) }));
    }
    return el("span", { class: "cg-money-total" }, parts);
  }
  /** A CNY equivalent on its own (a CnyEquivalentOut), marking the amounts without a rate. */
  function cnyTotal(cny) {
    if (!cny) return "";
    if (cny.complete) return money(cny.amount);
    return el("span", {}, [money(cny.amount), " ", el("span", { class: "badge cg-tone-warning cg-no-rate", text: fill(_("{amounts}: no rate"), { amounts: cny.no_rate.map((m) => moneyText(m)).join(" + ") }) })]);
  }
  const date = (value) => (value ? F.formatDate(value, lang) : "");
  const month = (value) => (value ? F.formatMonth(value, lang) : "");
  const dateTime = (value) => (value ? F.formatDateTime(value, lang) : "");
  const percent = (value) => (value === null || value === undefined ? "" : (100 * Number(value)).toFixed(1) + "%");
  const yesNo = (value) => (value ? _("Yes") : _("No"));

  const BADGE_TONES = { high: "danger", medium: "warning", low: "muted", new: "info", acknowledged: "info", actioned: "success", dismissed: "muted", confirmed: "danger", pending: "warning", won: "success", lost: "danger" };
  const badge = (list, code) => (code ? el("span", { class: "badge cg-tone-" + (BADGE_TONES[code] || "info"), text: codeName(list, code) }) : "");

  function emptyState(text) {
    return el("div", { class: "empty" }, [el("p", { class: "empty-title", text: text || _("Nothing to show") })]);
  }
  const loading = () => el("div", { class: "text-secondary p-3", text: _("Loading…") });

  function notice(text) {
    const box = document.getElementById("notice");
    box.replaceChildren(text ? el("div", { class: "alert alert-success" }, [text]) : "");
  }

  // ---------------------------------------------------------------- errors (RFC 9457 problems)
  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && problem.detail) || "HTTP " + status);
      this.status = status;
      this.problem = problem || {};
    }
  }

  /** The problem in the user's language: the catalogue's text for its type, never raw English to a Chinese reader. */
  function problemText(error) {
    if (!(error instanceof ApiError)) return { title: _("The server cannot be reached."), detail: "" };
    const type = String(error.problem.type || "").split("/").pop() || (error.status ? "http-" + error.status : "http-error");
    const known = MESSAGES["problem\u0004" + type];
    const title = known || fill(_("The request failed (HTTP {status})."), { status: error.status });
    // The server's detail is English: an English reader gets it as well, a Chinese one does not.
    const detail = lang === "en" && error.problem.detail && error.problem.detail !== title ? error.problem.detail : "";
    return { title, detail };
  }

  function showProblem(error) {
    if (error && error.status === 401) return;
    const text = problemText(error);
    const close = el("button", { type: "button", class: "btn-close", "aria-label": _("Close"), onclick: () => box.replaceChildren() });
    const box = document.getElementById("problem");
    box.replaceChildren(el("div", { class: "alert alert-danger alert-dismissible", role: "alert" }, [
      el("div", {}, [el("h2", { class: "alert-title", text: text.title }), text.detail ? el("div", { class: "text-secondary", text: text.detail }) : null]),
      close,
    ]));
  }

  // ---------------------------------------------------------------- the API
  // Requests in flight, on <body data-inflight>: tests wait for 0 before reading a page.
  let inflight = 0;
  const track = (delta) => { inflight += delta; body.dataset.inflight = String(inflight); };

  async function api(path, options) {
    track(1);
    try { return await request(path, options); } finally { track(-1); }
  }

  async function request(path, options) {
    const key = sessionStorage.getItem(KEY);
    const opts = Object.assign({ headers: {} }, options || {});
    opts.headers = Object.assign({ "X-API-Key": key || "", "Accept-Language": lang === "zh" ? "zh-CN" : "en" }, opts.headers);
    const response = await fetch(path, opts);
    if (!response.ok) {
      let problem = null;
      try { problem = await response.json(); } catch (e) { /* not JSON */ }
      if (response.status === 401 && page !== "login") {
        sessionStorage.removeItem(KEY);
        window.location.assign("/");
      }
      throw new ApiError(response.status, problem);
    }
    return response;
  }
  const json = async (path, options) => {
    track(1);
    try { return await (await api(path, options)).json(); } finally { track(-1); }
  };
  const post = (path, payload, method) => json(path, { method: method || "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) });

  async function download(path, fallbackName) {
    const response = await api(path);
    const blob = await response.blob();
    const disposition = response.headers.get("Content-Disposition") || "";
    // RFC 6266: the UTF-8 name (filename*) when given, else the ASCII fallback.
    const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
    const ascii = /filename="?([^";]+)"?/.exec(disposition);
    const name = utf8 ? decodeURIComponent(utf8[1]) : ascii ? ascii[1] : fallbackName;
    const anchor = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.appendChild(anchor);
    anchor.click();
    anchor.remove();
    notice(fill(_("Exported {size} bytes."), { size: blob.size.toLocaleString(lang === "zh" ? "zh-CN" : "en") }));
  }

  function formQuery(form, extra) {
    const params = new URLSearchParams();
    new FormData(form).forEach((value, name) => { if (String(value).trim() !== "") params.append(name, String(value).trim()); });
    Object.entries(extra || {}).forEach(([k, v]) => params.set(k, v));
    return params;
  }

  // Names for branch and RM ids, fetched once per page.
  let lookupsPromise = null;
  function lookups() {
    if (!lookupsPromise) {
      lookupsPromise = Promise.all([json("/api/v1/branches"), json("/api/v1/relationship-managers")]).then(([branches, rms]) => ({
        branches: new Map(branches.map((b) => [b.branch_id, b.name])),
        rms: new Map(rms.map((m) => [m.rm_id, m.name])),
      }));
    }
    return lookupsPromise;
  }
  let NAMES = { branches: new Map(), rms: new Map() };
  const branchName = (id) => (id ? NAMES.branches.get(id) || _("Another branch") : "");
  const rmName = (id) => (id ? NAMES.rms.get(id) || _("Another branch's RM") : "");

  function fillSelects(root) {
    root.querySelectorAll("select[data-codes]").forEach((select) => {
      codesOf(select.dataset.codes).forEach((code) => select.appendChild(el("option", { value: code, text: codeName(select.dataset.codes, code) })));
    });
    root.querySelectorAll("select[data-lookup]").forEach((select) => {
      Array.from(NAMES[select.dataset.lookup].entries())
        .sort((a, b) => a[1].localeCompare(b[1], "zh-CN"))
        .forEach(([id, name]) => select.appendChild(el("option", { value: id, text: name })));
    });
  }

  // ---------------------------------------------------------------- the table component
  /**
   * A card with a table, an empty state and a pager. `load(offset, limit)` returns a
   * page {total, items}; each column is {title, cell(row) → text or node, numeric}.
   */
  function dataTable(container, options) {
    const size = options.pageSize || PAGE_SIZE;
    let offset = 0;
    // Focusable: a table wider than the screen scrolls, and a keyboard user must reach it.
    const holder = el("div", { class: "table-responsive", tabindex: "0" });
    const info = el("p", { class: "m-0 text-secondary cg-page-info" });
    const prev = el("button", { type: "button", class: "btn btn-sm", text: _("Previous page") });
    const next = el("button", { type: "button", class: "btn btn-sm", text: _("Next page") });
    const header = options.title ? el("div", { class: "card-header" }, [el("h2", { class: "card-title", text: options.title }), options.actions ? el("div", { class: "card-actions" }, options.actions) : null]) : null;
    const card = el("div", { class: "card" }, [header, holder, el("div", { class: "card-footer d-flex align-items-center" }, [info, el("div", { class: "ms-auto btn-list" }, [prev, next])])]);
    container.replaceChildren(card);

    function render(items) {
      const head = el("tr", {}, options.columns.map((c) => el("th", { class: c.numeric ? "cg-num" : "", text: c.title, scope: "col" })));
      const rows = items.map((row) => el("tr", { "data-key": options.rowKey ? options.rowKey(row) : null }, options.columns.map((c) => {
        const value = c.cell(row);
        return el("td", { class: c.numeric ? "cg-num" : "" }, [value === null || value === undefined ? "" : typeof value === "object" ? value : String(value)]);
      })));
      return el("table", { class: "table table-vcenter card-table" }, [el("thead", {}, [head]), el("tbody", {}, rows)]);
    }

    async function go(to) {
      offset = Math.max(0, to);
      holder.replaceChildren(loading());
      try {
        const result = await options.load(offset, size);
        const items = result.items || [];
        const total = result.total === undefined ? items.length : result.total;
        holder.replaceChildren(items.length ? render(items) : emptyState(options.empty));
        info.textContent = total ? fill(_("{first}–{last} of {total}"), { first: offset + 1, last: offset + items.length, total }) : "";
        prev.disabled = offset === 0;
        next.disabled = offset + size >= total;
        prev.hidden = next.hidden = total <= size;
      } catch (error) {
        holder.replaceChildren(emptyState(_("Could not load this list.")));
        showProblem(error);
      }
    }
    prev.addEventListener("click", () => go(offset - size));
    next.addEventListener("click", () => go(offset + size));
    go(0);
    return { reload: () => go(0) };
  }

  /** Pages through a list already in hand (a section of the 360, a group's members). */
  const inHand = (items) => async (offset, limit) => ({ total: items.length, items: items.slice(offset, offset + limit) });
  /** Pages through an API list endpoint that takes offset and limit. */
  const fromApi = (path, params) => async (offset, limit) => {
    const query = new URLSearchParams(params || {});
    query.set("offset", offset);
    query.set("limit", limit);
    return json(path + (path.includes("?") ? "&" : "?") + query);
  };

  // ---------------------------------------------------------------- shared lists
  const COLUMNS = {
    customers: () => [
      { title: _("Customer"), cell: (c) => link(c.name || _("Unnamed"), customerHref(c.id)) },
      { title: _("USCC"), cell: (c) => c.uscc || "" },
      { title: _("Segment"), cell: (c) => codeName("segment", c.segment) },
      { title: _("Industry"), cell: (c) => codeName("industry", c.industry) },
      { title: _("Region"), cell: (c) => c.region || "" },
      { title: _("Branch"), cell: (c) => branchName(c.branch_id) },
      { title: _("Relationship manager"), cell: (c) => rmName(c.rm_id) },
      { title: _("Outstanding"), cell: (c) => money(c.exposure), numeric: true },
    ],
    events: (reload) => [
      { title: _("Month"), cell: (e) => month(e.month) },
      { title: _("Customer"), cell: (e) => (e.customer ? link(e.customer.name || _("Unnamed"), customerHref(e.customer.id)) : "") },
      { title: _("Event type"), cell: (e) => codeName("event_type", e.type) },
      { title: _("Severity"), cell: (e) => badge("severity", e.severity) },
      { title: _("Status"), cell: (e) => badge("event_status", e.status) },
      { title: _("What happened"), cell: (e) => el("span", { class: "cg-reason", text: eventExplanation(e) }) },
      { title: _("Suggested action"), cell: (e) => codeName("suggested_action", e.suggested_action) },
      { title: _("Detected"), cell: (e) => dateTime(e.created_at) },
      { title: _("Actions"), cell: (e) => eventActions(e, reload) },
    ],
    opportunities: () => [
      { title: _("Company"), cell: (o) => (o.company ? o.company.name || _("Unnamed") : "") },
      { title: _("Product"), cell: (o) => o.product || "" },
      { title: _("Expected amount"), cell: (o) => money(o.expected_amount), numeric: true },
      { title: _("Stage"), cell: (o) => badge("stage", o.stage) },
      { title: _("Relationship manager"), cell: (o) => rmName(o.owner_rm_id) },
      { title: _("Due"), cell: (o) => date(o.due_date) },
    ],
    groups: () => [
      { title: _("Group"), cell: (g) => link(fill(_("{name} group"), { name: (g.controller && g.controller.name) || _("Unnamed") }), "/ui/groups/" + encodeURIComponent(g.id)) },
      { title: _("Rank"), cell: (g) => String(g.rank), numeric: true },
      { title: _("Members"), cell: (g) => String(g.size), numeric: true },
      { title: _("Outstanding"), cell: (g) => moneyList((g.exposure || []).map((e) => ({ amount: e.outstanding, currency: e.currency })), false, g.outstanding_cny), numeric: true },
      { title: _("Limit"), cell: (g) => moneyList((g.exposure || []).map((e) => ({ amount: e.limit, currency: e.currency })), false, g.limit_cny), numeric: true },
      { title: _("Concentration"), cell: (g) => (g.over_concentration ? el("span", { class: "badge cg-tone-danger", text: _("Over the threshold") }) : el("span", { class: "badge cg-tone-success", text: _("Within the threshold") })) },
    ],
    circles: () => [
      { title: _("Guarantee circle"), cell: (c) => link(fill(_("Circle of {size} companies"), { size: c.size }), "/ui/circles/" + encodeURIComponent(c.id)) },
      { title: _("Members"), cell: (c) => String(c.size), numeric: true },
      { title: _("Guaranteed amount"), cell: (c) => moneyList(c.amounts, false, c.amounts_cny), numeric: true },
      { title: _("Hidden risk"), cell: (c) => hiddenRiskBadge(c.hidden_risk) },
    ],
    chains: () => [
      { title: _("Guarantee chain"), cell: (c) => fill(_("Chain of {length} guarantees"), { length: c.length }) },
      { title: _("Members"), cell: (c) => String(c.members.length), numeric: true },
      { title: _("Guaranteed amount"), cell: (c) => moneyList(c.amounts, false, c.amounts_cny), numeric: true },
      { title: _("Hidden risk"), cell: (c) => hiddenRiskBadge(c.hidden_risk) },
    ],
    prospects: () => [
      { title: _("Rank"), cell: (p) => String(p.rank), numeric: true },
      { title: _("Prospect"), cell: (p) => link(p.name || _("Unnamed"), "/ui/prospects/" + encodeURIComponent(p.id)) },
      { title: _("Score"), cell: (p) => scoreBar(p.score) },
      { title: _("Reasons"), cell: (p) => reasons(p.reasons || []) },
      { title: _("Linked customers"), cell: (p) => String((p.linked_customers || []).length + (p.linked_customers_outside_scope || 0)), numeric: true },
      { title: _("Suggested branch"), cell: (p) => (p.suggested_branch ? p.suggested_branch.name || branchName(p.suggested_branch.id) : "") },
      { title: _("Suggested RM"), cell: (p) => (p.suggested_rm ? p.suggested_rm.name || rmName(p.suggested_rm.id) : "") },
      { title: _("Warm introductions"), cell: (p) => (p.warm_introducers || []).map((i) => i.customer.name).join("、") },
    ],
  };

  /** The hidden guarantee risk of a circle or chain as a badge (its sentence on hover), or a dash. */
  function hiddenRiskBadge(risk) {
    if (!risk) return "—";
    return el("span", { class: "badge cg-tone-danger", title: risk.explanation, text: risk.kind.name });
  }

  /** An evidence path: each node by name, with the tie (role, relation, contact) between. */
  function evidencePath(path) {
    const parts = [];
    (path.nodes || []).forEach((n, i) => {
      if (i > 0) parts.push(el("span", { class: "text-secondary", text: " —" + ((path.links[i - 1] || {}).name || "") + "— " }));
      const name = n.name || _("Unnamed");
      parts.push(n.kind === "company" && n.visible && n.is_customer ? link(name, customerHref(n.id)) : el("span", { class: n.visible ? "" : "text-secondary", text: name }));
    });
    return el("span", { class: "cg-path" }, parts);
  }

  /** The top reason, with the others one click away. */
  function reasons(list) {
    if (list.length < 2) return el("span", { class: "cg-reason", text: list[0] || "" });
    return el("details", { class: "cg-reason" }, [
      el("summary", { text: list[0] + " " + fill(_("(+{count} more)"), { count: list.length - 1 }) }),
      el("ul", { class: "mb-0" }, list.slice(1).map((r) => el("li", { text: r }))),
    ]);
  }

  function scoreBar(score) {
    const value = Math.round(100 * Number(score || 0));
    return el("div", { class: "cg-score" }, [
      el("div", { class: "small", text: Number(score || 0).toFixed(2) }),
      el("div", { class: "progress progress-sm", role: "progressbar", "aria-valuenow": String(value), "aria-valuemin": "0", "aria-valuemax": "100", "aria-label": _("Score") }, [
        el("div", { class: "progress-bar", style: "width: " + value + "%" }),
      ]),
    ]);
  }

  /** What happened, from the event's evidence, in the user's language (the API's text is English). */
  function eventExplanation(e) {
    const v = e.evidence || {};
    const amount = (m) => (m && m.amount !== undefined ? F.formatMoney(m.amount, m.currency, lang) : "");
    const share = v.share === undefined ? "" : Math.round(100 * v.share) + "%";
    switch (e.type) {
      case "segment_downgrade":
        return fill(_("Segment fell from {from} to {to} on {date}."), { from: codeName("segment", v.from), to: codeName("segment", v.to), date: date(v.as_of) });
      case "dormancy":
        return fill(_("No payment since {month} ({months} silent months; usually {usual} a month)."), { month: month(v.last_active_month), months: v.silent_months, usual: amount(v.usual_monthly) });
      case "counterparty_loss":
        return fill(_("A counterparty with {share} of the flows stopped after {month}: nothing for {months} months."), { share, month: month(v.last_month), months: v.silent_months });
      case "new_major_counterparty":
        return fill(_("A new counterparty took {share} of the flows from {month}."), { share, month: month(e.month) });
      case "large_outflow":
        return fill(_("Outflow of {amount} in {month}, {ratio}× the median of the {months} months before ({baseline})."), { amount: amount(v.amount), month: month(e.month), ratio: v.ratio, months: v.baseline_months, baseline: amount(v.baseline) });
      case "large_inflow":
        return fill(_("Inflow of {amount} in {month}, {ratio}× the median of the {months} months before ({baseline})."), { amount: amount(v.amount), month: month(e.month), ratio: v.ratio, months: v.baseline_months, baseline: amount(v.baseline) });
      case "group_risk":
        return _("Another member of its group or guarantee circle has a risk event.");
      case "controller_change":
        return _("Its ultimate controller changed.");
      default:
        return e.explanation || "";  // rendered by the API in the page's language
    }
  }

  function eventActions(e, reload) {
    const actions = [];
    if (e.status === "new") {
      actions.push(el("button", { type: "button", class: "btn btn-sm", text: _("Acknowledge"), onclick: async () => {
        try { await post(`/api/v1/events/${encodeURIComponent(e.id)}/ack`, {}); notice(_("Event acknowledged.")); reload(); } catch (error) { showProblem(error); }
      } }));
    }
    if (e.opportunity_id) {
      actions.push(link(_("Open its opportunity"), "/ui/pipeline#" + encodeURIComponent(e.opportunity_id)));
    } else if (e.status === "new" || e.status === "acknowledged") {
      // One key per button: a double click or a retried request makes no second opportunity
      // (the server also keeps one opportunity per event).
      const idempotencyKey = window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID() : String(Date.now()) + Math.random();
      actions.push(el("button", { type: "button", class: "btn btn-sm", text: _("Make an opportunity"), onclick: async () => {
        try {
          await json("/api/v1/opportunities", { method: "POST", headers: { "Content-Type": "application/json", "Idempotency-Key": idempotencyKey }, body: JSON.stringify({ source: "event", source_id: e.id }) });
          notice(_("Opportunity created."));
          reload();
        } catch (error) { showProblem(error); }
      } }));
    }
    return el("div", { class: "btn-list flex-nowrap" }, actions);
  }

  // ---------------------------------------------------------------- charts (ECharts)
  function barChart(container, title, entries) {
    const box = el("div", { class: "cg-chart", role: "img", "aria-label": title + ": " + entries.map(([name, value]) => name + " " + value).join(", ") });
    container.appendChild(box);
    const chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption({
      title: { text: title, textStyle: { fontSize: 14 } },
      grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: entries.map(([name]) => name) },
      series: [{ type: "bar", data: entries.map(([, value]) => value), itemStyle: { color: "#12509a" }, label: { show: true, position: "right" } }],
      animation: false,
    });
    box.dataset.values = JSON.stringify(entries.map(([, value]) => value));
    window.addEventListener("resize", () => chart.resize());
    return chart;
  }
  const codeEntries = (list, counts) => Object.entries(counts || {}).map(([code, value]) => [codeName(list, code), Number(value)]);

  // ---------------------------------------------------------------- pages
  const pages = {};

  pages.login = function () {
    document.getElementById("login-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const key = document.getElementById("api-key").value.trim();
      sessionStorage.setItem(KEY, key);
      try {
        const me = await json("/api/v1/me");
        sessionStorage.setItem(USER, JSON.stringify(me));
        window.location.assign("/ui/home");
      } catch (error) {
        sessionStorage.removeItem(KEY);
        showProblem(error);
      }
    });
  };

  function section(container) {
    const holder = el("div", { class: "col-12" });
    container.appendChild(holder);
    return holder;
  }

  pages.home = function (user) {
    const home = document.getElementById("home");
    const role = user.role;
    const panels = {
      rm: () => {
        dataTable(section(home), { title: _("My customers"), columns: COLUMNS.customers(), load: fromApi("/api/v1/customers", { sort: "exposure", order: "desc" }), pageSize: 10 });
        const events = dataTable(section(home), { title: _("My open events"), columns: COLUMNS.events(() => events.reload()), rowKey: (e) => e.id, load: fromApi("/api/v1/events", { status: "new" }), pageSize: 10, empty: _("No open events.") });
        dataTable(section(home), { title: _("My pipeline"), columns: COLUMNS.opportunities(), load: fromApi("/api/v1/opportunities"), pageSize: 10, empty: _("No opportunities yet.") });
      },
      risk: () => {
        dataTable(section(home), { title: _("Groups by exposure"), columns: COLUMNS.groups(), load: fromApi("/api/v1/groups", { sort: "exposure" }), pageSize: 10 });
        dataTable(section(home), { title: _("Guarantee circles"), columns: COLUMNS.circles(), load: fromApi("/api/v1/guarantee-circles"), pageSize: 10 });
      },
      prospecting: () => {
        dataTable(section(home), { title: _("Leads"), columns: COLUMNS.prospects(), load: fromApi("/api/v1/prospects"), pageSize: 10, actions: [link(_("All prospects and exports"), "/ui/prospects")] });
      },
      manager: async () => {
        const holder = section(home);
        const card = el("div", { class: "card" }, [el("div", { class: "card-header" }, [el("h2", { class: "card-title", text: _("Events this period") }), el("div", { class: "card-actions" }, [link(_("All reports"), "/ui/reports")])])]);
        const charts = el("div", { class: "card-body row" });
        card.appendChild(charts);
        holder.appendChild(card);
        try {
          const report = await json("/api/v1/reports/events");
          const left = el("div", { class: "col-md-6" });
          const right = el("div", { class: "col-md-6" });
          charts.append(left, right);
          barChart(left, _("By type"), codeEntries("event_type", report.overall.by_type));
          barChart(right, _("By status"), codeEntries("event_status", report.overall.by_status));
        } catch (error) { showProblem(error); }
      },
    };
    const shown = role === "admin" ? ["manager", "risk"] : [role];
    shown.forEach((name) => panels[name] && panels[name]());
  };

  pages.search = function () {
    const form = document.getElementById("search-form");
    fillSelects(form);
    const table = dataTable(document.getElementById("results"), {
      columns: COLUMNS.customers(),
      load: (offset, limit) => json("/api/v1/customers?" + formQuery(form, { offset, limit })),
      empty: _("No customer matches these filters."),
    });
    form.addEventListener("submit", (event) => { event.preventDefault(); notice(""); table.reload(); });
    for (const [id, format] of [["export-csv", "csv"], ["export-xlsx", "xlsx"]]) {
      document.getElementById(id).addEventListener("click", () => download("/api/v1/customers/export?" + formQuery(form, { format, lang }), "customers." + format).catch(showProblem));
    }
  };

  function kpi(title, value) {
    return el("div", { class: "col-sm-6 col-lg-2" }, [el("div", { class: "card card-sm" }, [el("div", { class: "card-body" }, [
      el("div", { class: "subheader", text: title }),
      el("div", { class: "h3 m-0" }, [value || "—"]),
    ])])]);
  }

  function card(title, children, id) {
    return el("section", { class: "card mb-3", id }, [el("div", { class: "card-header" }, [el("h2", { class: "card-title", text: title })]), el("div", { class: "card-body" }, children)]);
  }
  function listCard(container, id, title, columns, items, empty) {
    const holder = el("section", { class: "mb-3", id });
    container.appendChild(holder);
    dataTable(holder, { title, columns, load: inHand(items || []), pageSize: 10, empty });
  }
  function keyValues(pairs) {
    const dl = el("dl", { class: "row cg-kv" });
    pairs.forEach(([term, value]) => {
      dl.appendChild(el("dt", { class: "col-sm-4", text: term }));
      dl.appendChild(el("dd", { class: "col-sm-8" }, [value === null || value === undefined || value === "" ? "—" : value]));
    });
    return dl;
  }

  const counterpartyColumns = () => [
    { title: _("Counterparty"), cell: (c) => (c.is_customer ? link(c.name || _("Unnamed"), customerHref(c.company_id)) : c.name || _("Unnamed")) },
    { title: _("Customer of the bank"), cell: (c) => yesNo(c.is_customer) },
    { title: _("Total"), cell: (c) => money(c.total), numeric: true },
    { title: _("Payments"), cell: (c) => String(c.txn_count), numeric: true },
    { title: _("Active months"), cell: (c) => String(c.months_active), numeric: true },
    { title: _("Trend"), cell: (c) => codeName("trend", c.trend) },
  ];
  const guaranteeColumns = (partyTitle) => [
    { title: partyTitle, cell: (g) => g.name || _("Unnamed") },
    { title: _("Amount"), cell: (g) => money(g.amount), numeric: true },
    { title: _("Start"), cell: (g) => date(g.start_date) },
    { title: _("End"), cell: (g) => (g.end_date ? date(g.end_date) : _("Open-ended")) },
    { title: _("Status"), cell: (g) => (g.end_date && g.end_date < new Date().toISOString().slice(0, 10) ? el("span", { class: "badge cg-tone-muted", text: _("Expired") }) : el("span", { class: "badge cg-tone-success", text: _("Active") })) },
  ];

  /** The group's outstanding against the bank's concentration threshold, in its currency. */
  function thresholdBar(group) {
    const verdict = group.over_concentration ? _("Over the threshold") : _("Within the threshold");
    const limits = group.concentration_threshold || [];
    const used = ((group.exposure && group.exposure.outstanding_total) || []).find((m) => limits.some((t) => t.currency === m.currency));
    if (!used) return verdict;
    const limit = limits.find((t) => t.currency === used.currency);
    const share = Number(used.amount) / Math.max(Number(limit.amount), 1);
    const value = Math.min(100, Math.round(100 * share));
    return el("div", { class: "cg-threshold" }, [
      el("div", { class: "small", text: fill(_("{verdict}: {used} of {limit} ({share})"), { verdict, used: moneyText(used, true), limit: moneyText(limit, true), share: percent(share) }) }),
      el("div", { class: "progress progress-sm", role: "progressbar", "aria-valuenow": String(value), "aria-valuemin": "0", "aria-valuemax": "100", "aria-label": _("Use of the concentration threshold") }, [
        el("div", { class: "progress-bar " + (share >= 1 ? "bg-danger" : share >= 0.8 ? "bg-warning" : "bg-success"), style: "width: " + value + "%" }),
      ]),
    ]);
  }

  /** Every month from ``first`` to ``last`` (``YYYY-MM``), both included. */
  function monthsBetween(first, last) {
    const out = [];
    let [year, mon] = first.split("-").map(Number);
    const [endYear, endMonth] = last.split("-").map(Number);
    while (year < endYear || (year === endYear && mon <= endMonth)) {
      out.push(year + "-" + String(mon).padStart(2, "0"));
      mon += 1;
      if (mon > 12) { mon = 1; year += 1; }
    }
    return out;
  }

  /** Monthly receipts and payments of the window, in the customer's main currency (ECharts). */
  function flowChart(container, totals, span, windowText) {
    const main = totals[0];
    if (!main || !span || !window.echarts) return;
    const labels = monthsBetween(span.from, span.to).map(month);
    const title = _("Monthly receipts and payments") + (windowText ? " · " + windowText : "");
    const box = el("div", { class: "cg-chart", role: "img", "aria-label": title });
    container.appendChild(card(title, [box], "section-flows"));
    const chart = window.echarts.init(box, null, { renderer: "svg" });
    const series = (key, name, color) => ({ type: "bar", name, data: main[key].map((m) => Number(m.amount)), itemStyle: { color } });
    chart.setOption({
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", valueFormatter: (v) => F.formatMoney(String(v), main.currency, lang) },
      xAxis: { type: "category", data: labels },
      yAxis: { type: "value", axisLabel: { formatter: (v) => F.formatMoney(String(v), main.currency, lang, true) } },
      series: [series("inflow", _("Receipts"), "#2fb344"), series("outflow", _("Payments"), "#d63939")],
      animation: false,
    });
    box.dataset.values = JSON.stringify([main.inflow.map((m) => m.amount), main.outflow.map((m) => m.amount)]);
    window.addEventListener("resize", () => chart.resize());
  }

  /** A company a key person or relative sits at: a link for a customer the caller may see,
   *  the placeholder's name (never a link) for one of another branch. */
  function seatCell(c) {
    const name = c.visible && c.is_customer && c.id ? link(c.name, customerHref(c.id)) : el("span", { class: c.visible ? "" : "text-secondary", text: c.name });
    return el("div", { class: "cg-seat" }, c.role_name ? [name, " · " + c.role_name] : [name]);
  }

  /** A role's span: "since – until", open-ended when it has no end. */
  function tenure(x) {
    if (!x.since && !x.until) return "";
    return fill(_("{from} to {to}"), { from: x.since ? date(x.since) : "…", to: x.until ? date(x.until) : _("Open-ended") });
  }

  /** The 360's key persons: roles, other seats and family ties to other visible companies. */
  function keyPersonsCard(container, persons) {
    listCard(container, "section-key-persons", _("Key persons"), [
      { title: _("Name"), cell: (x) => x.name || _("Unnamed") },
      { title: _("Role"), cell: (x) => (x.current ? x.role_name : el("span", { class: "text-secondary", text: fill(_("{role} (ended)"), { role: x.role_name }) })) },
      { title: _("Tenure"), cell: (x) => tenure(x) },
      { title: _("Other companies"), cell: (x) => el("div", {}, (x.other_companies || []).map(seatCell)) },
      { title: _("Family ties"), cell: (x) => el("div", {}, (x.family || []).map((f) => el("div", { class: "cg-relative" }, [
        el("span", { text: fill(_("{relation}: {name}"), { relation: f.relation_name, name: f.name }) }),
        el("div", { class: "ms-3" }, (f.companies || []).map(seatCell)),
      ]))) },
    ], persons, _("No key persons on record."));
  }

  pages.customer = async function () {
    const container = document.getElementById("sections");
    container.replaceChildren(loading());
    try {
      const view = await json("/api/v1/customers/" + encodeURIComponent(subject));
      const p = view.profile || {};
      document.getElementById("page-title").textContent = p.name || _("Customer 360");
      document.title = (p.name || _("Customer 360")) + " · corpgraph";
      const openEvents = (view.events || []).filter((e) => e.status === "new" || e.status === "acknowledged").length;
      const f = view.facilities || {};
      document.getElementById("kpis").replaceChildren(
        kpi(_("Outstanding"), moneyList(f.outstanding_total, true, f.outstanding_total_cny)),
        kpi(_("Limit"), moneyList(f.limit_total, true, f.limit_total_cny)),
        kpi(_("Deposits"), view.contribution && view.contribution.balance ? money({ amount: view.contribution.balance, currency: view.contribution.currency }, true) : ""),
        kpi(_("Segment"), codeName("segment", p.segment)),
        kpi(_("Relationship manager"), p.rm_name || rmName(p.rm_id)),
        kpi(_("Open events"), String(openEvents)),
      );
      container.replaceChildren();
      container.appendChild(card(_("Profile"), [keyValues([
        [_("USCC"), p.uscc], [_("Segment"), codeName("segment", p.segment)], [_("Industry"), codeName("industry", p.industry)],
        [_("Region"), p.region], [_("Status"), codeName("company_status", p.status)], [_("Founded"), date(p.founded)],
        [_("Branch"), p.branch_name || branchName(p.branch_id)], [_("Relationship manager"), p.rm_name || rmName(p.rm_id)],
        [_("Registered capital"), money(p.registered_capital)],
      ])], "section-profile"));
      keyPersonsCard(container, view.key_persons);
      const productNames = new Map((view.products || []).map((x) => [x.product_code, x.name]));
      listCard(container, "section-facilities", _("Facilities and exposure"), [
        { title: _("Product"), cell: (x) => productNames.get(x.product) || x.product },
        { title: _("Limit"), cell: (x) => money(x.limit), numeric: true },
        { title: _("Outstanding"), cell: (x) => money(x.outstanding), numeric: true },
        { title: _("Maturity"), cell: (x) => date(x.maturity) },
      ], f.items);
      listCard(container, "section-products", _("Products held"), [
        { title: _("Product"), cell: (x) => x.name || x.product_code },
        { title: _("Category"), cell: (x) => codeName("product_category", x.category) },
        { title: _("Balance"), cell: (x) => money(x.balance), numeric: true },
        { title: _("Opened"), cell: (x) => date(x.opened) },
      ], view.products);
      const group = view.group || {};
      container.appendChild(card(_("Group"), [group.group_id
        ? keyValues([
          [_("Group"), link(fill(_("{name} group"), { name: (group.controller && group.controller.name) || _("Unnamed") }), "/ui/groups/" + encodeURIComponent(group.group_id))],
          [_("Role in the group"), codeName("member_role", group.role)],
          [_("Members"), group.size !== undefined ? String(group.size) : ""],
          [_("Group outstanding"), moneyList(group.exposure && group.exposure.outstanding_total, false, group.exposure && group.exposure.outstanding_total_cny)],
          [_("Concentration"), thresholdBar(group)],
        ])
        : emptyState(_("Not a member of a group."))], "section-group"));
      const g = view.guarantees || {};
      listCard(container, "section-guarantees", _("Guarantees given"), guaranteeColumns(_("Borrower")), g.given, _("No guarantees given."));
      listCard(container, "section-guarantees-received", _("Guarantees received"), guaranteeColumns(_("Guarantor")), g.received, _("No guarantees received."));
      listCard(container, "section-circles", _("Guarantee circles"), [
        { title: _("Guarantee circle"), cell: (c) => link(fill(_("Circle of {size} companies"), { size: c.size }), "/ui/circles/" + encodeURIComponent(c.circle_id)) },
        { title: _("Members"), cell: (c) => (c.members || []).map((m) => m.name).join("、") },
        { title: _("Guaranteed amount"), cell: (c) => moneyList(c.amounts, false, c.amounts_cny), numeric: true },
      ], g.circles, _("Not in a guarantee circle."));
      const cp = view.counterparties || {};
      const windowText = cp.window ? fill(_("{from} to {to}"), { from: month(cp.window.from), to: month(cp.window.to) }) : "";
      flowChart(container, cp.monthly_totals || [], cp.window, windowText);
      listCard(container, "section-counterparties", _("Top payers") + (windowText ? " · " + windowText : ""), counterpartyColumns(), cp.top_in, _("No payments received."));
      listCard(container, "section-counterparties-out", _("Top payees") + (windowText ? " · " + windowText : ""), counterpartyColumns(), cp.top_out, _("No payments made."));
      const sc = view.supply_chain || {};
      const supplyColumns = [
        { title: _("Company"), cell: (x) => (x.is_customer ? link(x.name || _("Unnamed"), customerHref(x.company_id)) : x.name || _("Unnamed")) },
        { title: _("Goods"), cell: (x) => x.category || "" },
        { title: _("Annual amount"), cell: (x) => money(x.amount), numeric: true },
      ];
      listCard(container, "section-suppliers", _("Suppliers"), supplyColumns, sc.suppliers, _("No suppliers on record."));
      listCard(container, "section-buyers", _("Buyers"), supplyColumns, sc.buyers, _("No buyers on record."));
      listCard(container, "section-events", _("Events"), COLUMNS.events(() => window.location.reload()).filter((c) => c.title !== _("Customer")), view.events, _("No events."));
      listCard(container, "section-opportunities", _("Opportunities"), COLUMNS.opportunities().slice(1), view.opportunities, _("No opportunities yet."));
      listCard(container, "section-prospects", _("Prospects introduced"), [
        { title: _("Prospect"), cell: (x) => x.name || _("Unnamed") },
        { title: _("Rank"), cell: (x) => String(x.rank), numeric: true },
        { title: _("Score"), cell: (x) => scoreBar(x.score) },
      ], view.introduced_prospects, _("No prospects introduced."));
      listCard(container, "section-recommendations", _("Cross-sell recommendations"), [
        { title: _("Recommendation"), cell: (x) => x.reason || "" },
        { title: _("Peers holding it"), cell: (x) => percent(x.share), numeric: true },
        { title: _("Lift"), cell: (x) => (x.lift === null || x.lift === undefined ? "" : Number(x.lift).toFixed(2)), numeric: true },
      ], view.recommendations, _("No recommendation."));
      const c = view.contribution || {};
      container.appendChild(card(_("Contribution vs peers"), [keyValues([
        [_("Balances"), c.balance ? money({ amount: c.balance, currency: c.currency }) : ""],
        [_("Peer group size"), c.peer_group_size !== undefined ? String(c.peer_group_size) : ""],
        [_("Percentile among peers"), percent(c.percentile)],
      ])], "section-contribution"));
    } catch (error) { container.replaceChildren(emptyState(_("Could not load this customer."))); showProblem(error); }
    const print = document.getElementById("print-button");
    if (print) print.addEventListener("click", () => window.print());
  };

  /** The ties of people and contacts: one "Persons and contacts" toggle, not a tick each. */
  const PEOPLE_RELATIONS = ["KEY_PERSON_OF", "FAMILY_OF", "HAS_CONTACT"];

  function mapTypes(fieldset) {
    codesOf("relation").filter((code) => !PEOPLE_RELATIONS.includes(code)).forEach((code) => {
      const id = "m-type-" + code;
      fieldset.appendChild(el("div", { class: "form-check form-check-inline" }, [
        el("input", { class: "form-check-input", type: "checkbox", name: "types", value: code, id, checked: true }),
        el("label", { class: "form-check-label", for: id, text: codeName("relation", code) }),
      ]));
    });
  }

  pages.map = function () {
    const form = document.getElementById("map-form");
    const frame = document.getElementById("map-frame");
    const targetBox = document.getElementById("m-target-box");
    mapTypes(document.getElementById("m-types"));
    // Persons and contacts: drawn on the relationship network only (paths and the
    // look-through follow the ties of companies), so the toggle shows with that view.
    const showTarget = () => {
      targetBox.hidden = form.view.value !== "path";
      document.getElementById("m-people-box").hidden = form.view.value !== "network";
    };
    form.view.addEventListener("change", showTarget);
    // A path's other end: a customer found by name, else the text taken as an id.
    const resolveTarget = async (wanted) => {
      const found = await json("/api/v1/customers?" + new URLSearchParams({ q: wanted, limit: "1" }));
      return found.items && found.items.length ? found.items[0].id : wanted;
    };
    const draw = async () => {
      const types = Array.from(form.querySelectorAll("input[name=types]:checked")).map((i) => i.value);
      const base = "/api/v1/customers/" + encodeURIComponent(subject);
      let url;
      try {
        if (form.view.value === "ownership") {
          url = base + "/ownership/map?" + new URLSearchParams({ up: form.depth.value, down: form.depth.value, limit: form.limit.value, lang });
        } else if (form.view.value === "path") {
          if (!form.target.value.trim()) { notice(_("Enter the name or ID of the other party.")); return; }
          notice("");
          const target = await resolveTarget(form.target.value.trim());
          const params = new URLSearchParams({ source: subject, target, depth: String(Number(form.depth.value) + 2), lang });
          if (types.length) params.set("types", types.join(","));
          url = "/api/v1/paths/map?" + params;
        } else {
          const params = new URLSearchParams({ depth: form.depth.value, limit: form.limit.value, lang });
          if (types.length) params.set("types", types.join(","));
          if (form.people.checked) params.set("people", "true");
          url = base + "/map?" + params;
        }
        const response = await api(url);
        frame.srcdoc = await response.text();
      } catch (error) { showProblem(error); }
    };
    form.addEventListener("submit", (event) => { event.preventDefault(); draw(); });
    showTarget();
    draw();
  };

  pages.prospects = function () {
    const form = document.getElementById("prospects-form");
    fillSelects(form);
    const table = dataTable(document.getElementById("results"), {
      columns: COLUMNS.prospects(),
      load: (offset, limit) => json("/api/v1/prospects?" + formQuery(form, { offset, limit })),
      empty: _("No prospect matches these filters."),
    });
    form.addEventListener("submit", (event) => { event.preventDefault(); notice(""); table.reload(); });
    for (const [id, format] of [["export-csv", "csv"], ["export-xlsx", "xlsx"]]) {
      document.getElementById(id).addEventListener("click", () => download("/api/v1/prospects/export?" + formQuery(form, { format, lang }), "prospects." + format).catch(showProblem));
    }
  };

  pages.groups = function () {
    dataTable(document.getElementById("groups"), { title: _("Groups by exposure"), columns: COLUMNS.groups(), load: fromApi("/api/v1/groups", { sort: "exposure" }) });
    dataTable(document.getElementById("circles"), { title: _("Guarantee circles"), columns: COLUMNS.circles(), load: fromApi("/api/v1/guarantee-circles") });
    dataTable(document.getElementById("chains"), { title: _("Guarantee chains"), columns: COLUMNS.chains(), load: fromApi("/api/v1/guarantee-chains") });
  };

  async function showMap(path) {
    const frame = document.getElementById("detail-map");
    try {
      const response = await api(path + "?lang=" + lang);
      frame.srcdoc = await response.text();
    } catch (error) { showProblem(error); }
  }

  const facilitiesText = (list) => moneyList((list || []).map((e) => ({ amount: e.outstanding, currency: e.currency })));

  /** A member's control: sole, joint (with its controllers) or in a control cycle; and a second group. */
  function controlCell(m, names) {
    const parts = [badge("control_status", m.status)];
    if (m.status === "joint" && (m.controllers || []).length > 1) {
      parts.push(el("div", { class: "small text-secondary", text: fill(_("with {names}"), { names: m.controllers.map((id) => names.get(id) || _("a company outside your branches")).join("、") }) }));
    }
    if (m.primary === false) parts.push(el("div", { class: "small text-secondary", text: _("Its primary group is another") }));
    return el("div", {}, parts);
  }

  /** Economic interdependence (经济依存): who in or around the group depends on whom, beyond control. */
  function interdependenceSection(container, view, names) {
    if (!container) return;
    if (!view || !(view.connections || []).length) {
      container.replaceChildren(card(_("Economic interdependence"), [emptyState(_("No member depends on a company outside the group, or the other way round."))]));
      return;
    }
    const party = (ref) => (ref && ref.visible ? (ref.is_customer && ref.id ? link(ref.name || _("Unnamed"), customerHref(ref.id)) : ref.name || _("Unnamed")) : _("a company outside your branches"));
    const combined = (view.combined_exposure || []).map((e) => ({ amount: e.outstanding, currency: e.currency }));
    const connected = (view.connected_exposure || []).map((e) => ({ amount: e.outstanding, currency: e.currency }));
    const summary = el("div", { class: "row row-cards mb-3" }, [
      kpi(_("Connected companies"), String(view.connected_companies)),
      kpi(_("Connected customers"), String(view.connected_customers)),
      kpi(_("Connected outstanding"), moneyList(connected, true, view.connected_outstanding_cny)),
      kpi(_("Group and connected outstanding"), moneyList(combined, true, view.combined_outstanding_cny)),
    ]);
    const table = el("div");
    container.replaceChildren(card(_("Economic interdependence"), [summary, table]));
    dataTable(table, {
      title: _("Dependencies"),
      load: inHand(view.connections),
      columns: [
        { title: _("Depends"), cell: (c) => party(c.dependency.dependent) },
        { title: _("On"), cell: (c) => party(c.dependency.counterparty) },
        { title: _("For"), cell: (c) => codeName("dependence_direction", c.dependency.direction) },
        { title: _("Evidence"), cell: (c) => codeName("dependence_basis", c.dependency.basis) },
        { title: _("Share"), cell: (c) => percent(c.dependency.share), numeric: true },
        { title: _("Amount"), cell: (c) => (c.dependency.counterparty_amount ? money(c.dependency.counterparty_amount) : ""), numeric: true },
        // Rendered by the API in the page's language (hidden with the dependent's amounts).
        { title: _("Why"), cell: (c) => c.dependency.explanation || "" },
      ],
    });
  }

  pages.prospect = async function (user) {
    const path = "/api/v1/prospects/" + encodeURIComponent(subject);
    let p;
    try { p = await json(path); } catch (error) { showProblem(error); return; }
    const title = p.name || _("Unnamed");
    document.getElementById("page-title").textContent = title;
    document.title = title + " · corpgraph";
    const linked = p.linked_customers || [];
    const outside = p.linked_customers_outside_scope || 0;
    document.getElementById("kpis").replaceChildren(
      kpi(_("Score"), scoreBar(p.score)),
      kpi(_("Rank"), String(p.rank)),
      kpi(_("Linked customers"), outside ? fill(_("{count} (+{outside} outside your branches)"), { count: linked.length, outside }) : String(linked.length)),
      kpi(_("Suggested branch"), (p.suggested_branch && (p.suggested_branch.name || branchName(p.suggested_branch.id))) || ""),
      kpi(_("Suggested RM"), (p.suggested_rm && (p.suggested_rm.name || rmName(p.suggested_rm.id))) || ""),
      kpi(_("Introducer"), (p.introducer && p.introducer.name) || ""),
    );
    document.getElementById("reasons").replaceChildren(card(_("Why this company"), [
      el("ol", { class: "mb-0" }, (p.reasons || []).map((r) => el("li", { class: "cg-reason", text: r }))),
    ]));
    const components = Object.entries(p.components || {});
    document.getElementById("components").replaceChildren(card(_("Score components"), [
      keyValues(components.map(([code, value]) => [codeName("score_component", code), scoreBar(value)])),
    ]));
    tiesChart(document.getElementById("ties-chart"), p);
    listCard(document.getElementById("linked"), "section-linked", _("Linked customers"), [
      { title: _("Customer"), cell: (c) => link(c.name || _("Unnamed"), customerHref(c.id)) },
      { title: _("Paid by the customer"), cell: (c) => money(c.paid_in), numeric: true },
      { title: _("Paid to the customer"), cell: (c) => money(c.paid_out), numeric: true },
      { title: _("Months with payments"), cell: (c) => String(c.months), numeric: true },
      { title: _("Supply"), cell: (c) => (c.supply_roles || []).map((r) => codeName("supply_role", r)).join("、") },
    ], linked, _("No linked customer in your branches."));
    listCard(document.getElementById("introducers"), "section-introducers", _("Warm introductions"), [
      { title: _("Introducer"), cell: (i) => (i.customer.visible ? link(i.customer.name || _("Unnamed"), customerHref(i.customer.id)) : i.customer.name) },
      { title: _("How they know each other"), cell: (i) => el("div", {}, i.paths.map((path) => el("div", {}, [evidencePath(path)]))) },
    ], p.warm_introducers || [], _("No customer's key person is a key person here, or a relative of one."));
    convertButton(document.getElementById("convert"), p, user);
  };

  /** The prospect and its linked customers as a small radial chart; edge width follows the money. */
  function tiesChart(container, p) {
    const ties = (p.linked_customers || []).slice(0, 30);
    if (!ties.length || !window.echarts) return;
    const amount = (c) => Number((c.paid_in && c.paid_in.amount) || 0) + Number((c.paid_out && c.paid_out.amount) || 0);
    const largest = Math.max(1, ...ties.map(amount));
    const box = el("div", { class: "cg-chart cg-chart-tall", role: "img", "aria-label": fill(_("{name} and its linked customers"), { name: p.name || "" }) });
    container.replaceChildren(card(_("Money and supply ties"), [box]));
    const chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption({
      tooltip: { formatter: (item) => (item.dataType === "edge" ? item.data.tip : item.name) },
      series: [{
        type: "graph", layout: "circular", circular: { rotateLabel: false }, roam: true, label: { show: true, position: "right" },
        data: [
          { id: "subject", name: p.name || "", symbolSize: 36, itemStyle: { color: "#d63939" }, x: 0, y: 0, fixed: true },
          ...ties.map((c, i) => ({ id: "c" + i, name: c.name || "", symbolSize: 14 + 18 * Math.sqrt(amount(c) / largest), itemStyle: { color: "#12509a" } })),
        ],
        links: ties.map((c, i) => ({
          source: "c" + i, target: "subject",
          lineStyle: { width: 1 + 7 * (amount(c) / largest) },
          tip: fill(_("{customer}: paid {paid_in}, received {paid_out}"), { customer: c.name || "", paid_in: moneyText(c.paid_in), paid_out: moneyText(c.paid_out) }),
        })),
      }],
      animation: false,
    });
    window.addEventListener("resize", () => chart.resize());
  }

  // The roles that may create opportunities (api/routes/opportunities.py, OpportunityUser).
  const OPPORTUNITY_ROLES = ["rm", "manager", "risk", "admin"];

  /** 转为商机: one opportunity per lead; once made, the page shows it instead of the button. */
  async function convertButton(container, p, user) {
    const done = (opportunity) => container.replaceChildren(el("div", { class: "card card-body d-flex flex-row align-items-center gap-3 cg-converted" }, [
      el("span", { class: "badge cg-tone-success", text: _("This lead is an opportunity in the pipeline.") }),
      opportunity && opportunity.owner_rm_id ? el("span", { text: rmName(opportunity.owner_rm_id) }) : "",
      el("a", { class: "btn btn-sm", href: "/ui/pipeline", text: _("Open the pipeline") }),
    ]));
    if (!OPPORTUNITY_ROLES.includes(user.role)) return;  // reading a lead needs no pipeline
    try {
      const existing = await json("/api/v1/opportunities?" + new URLSearchParams({ company: p.id, limit: "50" }));
      const mine = (existing.items || []).find((o) => o.source && o.source.kind === "prospect" && o.source.id === p.id);
      if (mine) { done(mine); return; }
    } catch (error) { /* no pipeline access: the button below still says what it can */ }
    const button = el("button", { type: "button", class: "btn btn-primary", text: _("Convert to an opportunity") });
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const created = await post("/api/v1/opportunities", { source: "prospect", source_id: p.id, company_id: p.id, owner_rm_id: (p.suggested_rm && p.suggested_rm.id) || null });
        done(created);
      } catch (error) { button.disabled = false; showProblem(error); }
    });
    container.replaceChildren(button);
  }

  pages.contagion = function () {
    const form = document.getElementById("contagion-form");
    const query = document.getElementById("c-query");
    const select = document.getElementById("c-company");
    let timer = null;
    query.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const text = query.value.trim();
        if (text.length < 2) return;
        try {
          const found = await json("/api/v1/customers?" + new URLSearchParams({ q: text, limit: "20" }));
          select.replaceChildren(...(found.items || []).map((c) => el("option", { value: c.id, text: c.name || _("Unnamed") })));
        } catch (error) { showProblem(error); }
      }, 250);
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!select.value) return;
      const results = document.getElementById("results");
      results.replaceChildren(loading());
      try {
        const r = await post("/api/v1/contagion", {
          company_id: select.value,
          default_ratio: Number(document.getElementById("c-ratio").value || 0.5),
          control: document.getElementById("c-control").checked,
        });
        showContagion(r, select.selectedOptions[0] ? select.selectedOptions[0].textContent : "");
      } catch (error) { results.replaceChildren(); showProblem(error); }
    });
  };

  /** The simulation's outcome: totals, then every affected company in the order it fell. */
  function showContagion(r, seedName) {
    const affected = r.affected || [];
    const names = new Map(affected.map((a) => [a.id, a.visible ? a.name : null]));
    names.set(r.seed, seedName);
    const nameOf = (id) => names.get(id) || _("a company outside your branches");
    const defaulted = affected.filter((a) => a.status === "defaulted").length;
    document.getElementById("kpis").replaceChildren(
      kpi(_("Companies affected"), String(affected.length)),
      kpi(_("Of which default"), String(defaulted)),
      kpi(_("Rounds"), String(r.rounds)),
      kpi(_("Guarantee calls"), moneyList(r.total_guarantee_calls, true, r.total_guarantee_calls_cny)),
      kpi(_("Exposure at default"), moneyList(r.total_exposure_at_default, true, r.total_exposure_at_default_cny)),
    );
    const results = document.getElementById("results");
    results.replaceChildren();
    dataTable(results, {
      title: fill(_("If {name} defaults"), { name: seedName }),
      load: inHand(affected),
      empty: _("No other company is affected."),
      columns: [
        { title: _("Company"), cell: (a) => (a.visible ? a.name || _("Unnamed") : _("a company outside your branches")) },
        { title: _("Outcome"), cell: (a) => badge("contagion_status", a.status) },
        { title: _("Round"), cell: (a) => String(a.round), numeric: true },
        { title: _("Reached through"), cell: (a) => codeName("contagion_channel", a.via) },
        { title: _("Path"), cell: (a) => (a.path || []).map(nameOf).join(" → ") },
        { title: _("Guarantee calls"), cell: (a) => (a.visible ? moneyList(a.guarantee_calls) : _("Not shown outside your branches")), numeric: true },
        { title: _("Exposure at default"), cell: (a) => (a.visible ? moneyList(a.exposure_at_default) : _("Not shown outside your branches")), numeric: true },
      ],
    });
    // The outcome in one sentence, in the caller's language (rendered by the API).
    if (r.explanation) results.prepend(el("p", { class: "text-secondary cg-explanation", text: r.explanation }));
  }

  pages.group = async function () {
    const path = "/api/v1/groups/" + encodeURIComponent(subject);
    try {
      const g = await json(path);
      const title = fill(_("{name} group"), { name: (g.controller && g.controller.name) || _("Unnamed") });
      document.getElementById("page-title").textContent = title;
      document.title = title + " · corpgraph";
      document.getElementById("summary").replaceChildren(
        kpi(_("Ultimate controller"), (g.controller && g.controller.name) || ""),
        kpi(_("Members"), String(g.size)),
        kpi(_("Outstanding"), moneyList((g.exposure || []).map((e) => ({ amount: e.outstanding, currency: e.currency })), true, g.outstanding_cny)),
        kpi(_("Limit"), moneyList((g.exposure || []).map((e) => ({ amount: e.limit, currency: e.currency })), true, g.limit_cny)),
        kpi(_("Concentration"), g.over_concentration ? _("Over the threshold") : _("Within the threshold")),
        kpi(_("Levels"), String(g.max_depth)),
      );
      const names = new Map((g.members || []).map((m) => [m.id, m.name]));
      dataTable(document.getElementById("members"), {
        title: _("Members"),
        load: inHand(g.members || []),
        columns: [
          { title: _("Company"), cell: (m) => (m.visible && m.is_customer ? link(m.name || _("Unnamed"), customerHref(m.id)) : m.name || _("Outside your branches")) },
          { title: _("Role in the group"), cell: (m) => codeName("member_role", m.role) },
          { title: _("Level"), cell: (m) => String(m.depth), numeric: true },
          { title: _("Held by"), cell: (m) => (m.parent_id ? names.get(m.parent_id) || "" : "") },
          { title: _("Control"), cell: (m) => controlCell(m, names) },
          { title: _("Customer of the bank"), cell: (m) => yesNo(m.is_customer) },
          { title: _("Outstanding"), cell: (m) => (m.visible ? facilitiesText(m.facilities) : _("Not shown outside your branches")), numeric: true },
        ],
      });
      const cycles = g.control_cycles || [];
      if (cycles.length) {
        const nameOf = (id) => names.get(id) || _("a company outside your branches");
        document.getElementById("cycles").replaceChildren(card(_("Control cycles"), [
          el("p", { class: "text-secondary", text: _("These companies control each other; the group's controller controls the cycle as a whole.") }),
          el("ul", {}, cycles.map((cycle) => el("li", { text: [...cycle, cycle[0]].map(nameOf).join(" → ") }))),
        ]));
      }
      interdependenceSection(document.getElementById("interdependence"), g.economic_interdependence, names);
      relatedPartiesSection(document.getElementById("related-parties"), g.confirmed_related_parties);
    } catch (error) { showProblem(error); return; }
    showMap(path + "/map");
  };

  pages.circle = async function () {
    const path = "/api/v1/guarantee-circles/" + encodeURIComponent(subject);
    try {
      const c = await json(path);
      const names = new Map((c.members || []).map((m) => [m.id, m.visible ? m.name : null]));
      const nameOf = (id) => names.get(id) || _("a company outside your branches");
      const title = fill(_("Circle of {size} companies"), { size: c.size });
      document.getElementById("page-title").textContent = title;
      document.getElementById("summary").replaceChildren(
        kpi(_("Members"), String(c.size)),
        kpi(_("Guaranteed amount"), moneyList(c.amounts, true, c.amounts_cny)),
        kpi(_("Cycles"), String((c.cycles || []).length)),
        kpi(_("Mutual guarantees"), String((c.mutual_pairs || []).length)),
        kpi(_("Hidden risk"), hiddenRiskBadge(c.hidden_risk)),
      );
      const risk = c.hidden_risk;
      document.getElementById("hidden-risk").replaceChildren(...(risk ? [card(risk.kind.name, [
        el("p", { class: "cg-reason", text: risk.explanation }),
        el("ul", { class: "mb-0" }, risk.pairs.flatMap((pair) => pair.evidence.map((e) => el("li", {}, [el("strong", { text: e.kind.name }), " ", evidencePath(e)])))),
      ], "section-hidden-risk")] : []));
      dataTable(document.getElementById("members"), {
        title: _("Members"),
        load: inHand(c.members || []),
        columns: [
          { title: _("Company"), cell: (m) => (m.visible && m.is_customer ? link(m.name || _("Unnamed"), customerHref(m.id)) : m.name || _("Outside your branches")) },
          { title: _("Customer of the bank"), cell: (m) => yesNo(m.is_customer) },
          { title: _("Outstanding"), cell: (m) => (m.visible ? facilitiesText(m.facilities) : _("Not shown outside your branches")), numeric: true },
        ],
      });
      dataTable(document.getElementById("cycles"), {
        title: _("Guarantee cycles"),
        load: inHand(c.cycles || []),
        empty: _("No cycle."),
        columns: [{ title: _("Cycle"), cell: (cycle) => el("span", { class: "cg-cycle", text: cycle.concat(cycle.slice(0, 1)).map(nameOf).join(" → ") }) }],
      });
      dataTable(document.getElementById("guarantees"), {
        title: _("Guarantees"),
        load: inHand(c.guarantees || []),
        columns: [
          { title: _("Guarantor"), cell: (x) => nameOf(x.guarantor_id) },
          { title: _("Borrower"), cell: (x) => nameOf(x.borrower_id) },
          { title: _("Amount"), cell: (x) => money({ amount: x.amount, currency: x.currency }), numeric: true },
        ],
      });
    } catch (error) { showProblem(error); return; }
    showMap(path + "/map");
  };

  // ---------------------------------------------------------------- related parties (疑似关联)
  /** A company of a pair as the caller may see it: the 360 for a visible customer. */
  const relatedCompany = (c) => (c && c.visible ? (c.is_customer && c.id ? link(c.name || _("Unnamed"), customerHref(c.id)) : c.name || _("Unnamed")) : (c && c.name) || _("a company outside your branches"));
  /** Each kind of evidence with how many pieces of it. */
  const strengthText = (list) => (list || []).map((s) => fill(_("{kind} ×{count}"), { kind: s.kind.name, count: s.count })).join("、");
  /** The evidence paths, one a line: the names and the ties between them. */
  function evidencePaths(list) {
    return el("div", {}, (list || []).map((e) => {
      const steps = (e.nodes || []).map((n, i) => (i > 0 ? " —" + ((e.links[i - 1] || {}).name || "") + "— " : "") + n.name);
      return el("div", { class: "small cg-evidence" }, [el("span", { class: "badge cg-tone-info me-1", text: e.kind.name }), steps.join("")]);
    }));
  }
  /** Who decided what, when and why. */
  const decisionText = (d) => (d ? el("div", {}, [badge("review_status", d.verdict), el("div", { class: "small text-secondary", text: fill(_("{user} on {date}: {note}"), { user: d.user_name || _("Unnamed"), date: dateTime(d.decided_at), note: d.note }) })]) : "");

  pages.related = function () {
    const form = document.getElementById("review-form");
    fillSelects(form);
    // Confirm or dismiss with a note: the note goes into the audit log.
    const actions = (item) => {
      const holder = el("div", { class: "btn-list" });
      const buttons = () => [
        el("button", { type: "button", class: "btn btn-sm btn-danger cg-confirm", text: _("Confirm"), onclick: () => ask("confirm") }),
        el("button", { type: "button", class: "btn btn-sm cg-dismiss", text: _("Dismiss"), onclick: () => ask("dismiss") }),
      ];
      const ask = (verdict) => {
        const field = "note-" + item.review_id;
        const input = el("input", { id: field, class: "form-control form-control-sm", required: true, maxlength: "2000" });
        const note = el("form", {}, [
          el("label", { class: "form-label small", for: field, text: verdict === "confirm" ? _("Why are they related?") : _("Why are they not related?") }), input,
          el("div", { class: "btn-list mt-2" }, [
            el("button", { type: "submit", class: "btn btn-sm " + (verdict === "confirm" ? "btn-danger" : "btn-secondary"), text: verdict === "confirm" ? _("Confirm") : _("Dismiss") }),
            el("button", { type: "button", class: "btn btn-sm", text: _("Cancel"), onclick: () => holder.replaceChildren(...buttons()) }),
          ]),
        ]);
        note.addEventListener("submit", async (event) => {
          event.preventDefault();
          try {
            await post("/api/v1/related-parties/review/" + encodeURIComponent(item.review_id) + "/" + verdict, { note: input.value.trim() });
            notice(verdict === "confirm" ? _("Confirmed: the pair joins the group of connected counterparties now.") : _("Dismissed: the pair leaves the queue for good."));
            table.reload();
          } catch (error) { showProblem(error); }
        });
        holder.replaceChildren(note);
        input.focus();
      };
      holder.replaceChildren(...buttons());
      return holder;
    };
    const table = dataTable(document.getElementById("results"), {
      columns: [
        { title: _("Customer"), cell: (i) => relatedCompany(i.company) },
        { title: _("Related company"), cell: (i) => relatedCompany(i.related.company) },
        { title: _("Strength"), cell: (i) => strengthText(i.related.strength) },
        { title: _("Evidence"), cell: (i) => evidencePaths(i.related.evidence) },
        { title: _("Decision"), cell: (i) => (i.related.decision ? decisionText(i.related.decision) : actions(i)) },
      ],
      rowKey: (i) => i.review_id,
      load: (offset, limit) => json("/api/v1/related-parties/review?" + formQuery(form, { offset, limit })),
      empty: _("No pair in this list."),
    });
    form.addEventListener("submit", (event) => { event.preventDefault(); notice(""); table.reload(); });
  };

  /** A group's confirmed related parties: the third kind of connection, and the connected exposure. */
  function relatedPartiesSection(container, view) {
    if (!container || !view) return;
    const outstanding = (list) => (list || []).map((e) => ({ amount: e.outstanding, currency: e.currency }));
    const summary = el("div", { class: "row row-cards mb-3" }, [
      kpi(_("Confirmed related companies"), String(view.related_companies)),
      kpi(_("Their outstanding"), moneyList(outstanding(view.related_exposure), true)),
      kpi(_("Connected companies"), String(view.connected_companies)),
      kpi(_("Outstanding of the connected counterparties"), moneyList(outstanding(view.connected_exposure), true)),
    ]);
    const table = el("div");
    container.replaceChildren(card(_("Confirmed related parties"), [summary, el("p", { class: "text-secondary", text: view.label + " " + view.applies_text }), table]));
    dataTable(table, {
      load: inHand(view.connections || []),
      empty: _("No confirmed related party outside the group."),
      columns: [
        { title: _("Member"), cell: (c) => relatedCompany(c.member) },
        { title: _("Related company"), cell: (c) => relatedCompany(c.related) },
        { title: _("Strength"), cell: (c) => strengthText(c.strength) },
        { title: _("Decision"), cell: (c) => decisionText(c.decision) },
      ],
    });
  }

  pages.events = function () {
    const form = document.getElementById("events-form");
    fillSelects(form);
    const table = dataTable(document.getElementById("results"), {
      columns: COLUMNS.events(() => table.reload()),
      rowKey: (e) => e.id,
      load: (offset, limit) => json("/api/v1/events?" + formQuery(form, { offset, limit })),
      empty: _("No event matches these filters."),
    });
    form.addEventListener("submit", (event) => { event.preventDefault(); notice(""); table.reload(); });
  };

  pages.pipeline = async function () {
    const board = document.getElementById("board");
    const stages = codesOf("stage");
    const render = async () => {
      try {
        const data = await json("/api/v1/opportunities?limit=500");
        const byStage = new Map(stages.map((s) => [s, []]));
        (data.items || []).forEach((o) => (byStage.get(o.stage) || []).push(o));
        board.replaceChildren(...stages.map((stage, index) => {
          const items = byStage.get(stage);
          const column = el("section", { class: "cg-column", "data-stage": stage, "aria-label": codeName("stage", stage) }, [
            el("h2", { text: codeName("stage", stage) + " · " + items.length }),
          ]);
          if (!items.length) column.appendChild(emptyState(_("None")));
          items.forEach((o) => {
            const next = stages[index + 1];
            const actions = [];
            if (stage !== "won" && stage !== "lost") {
              if (next && next !== "lost") actions.push(el("button", { type: "button", class: "btn btn-sm btn-primary", text: "→ " + codeName("stage", next), onclick: () => move(o, next) }));
              actions.push(el("button", { type: "button", class: "btn btn-sm cg-edit", text: _("Edit"), onclick: (event) => editForm(event.target.parentNode, o) }));
              actions.push(el("button", { type: "button", class: "btn btn-sm cg-lose", text: codeName("stage", "lost"), onclick: (event) => askReason(event.target.parentNode, o) }));
            }
            column.appendChild(el("div", { class: "card card-sm cg-opportunity", "data-id": o.id }, [el("div", { class: "card-body" }, [
              el("strong", { text: (o.company && o.company.name) || _("Unnamed") }),
              el("div", { class: "text-secondary small" }, [[o.product, o.expected_amount ? F.formatMoney(o.expected_amount.amount, o.expected_amount.currency, lang) : "", rmName(o.owner_rm_id), o.due_date ? date(o.due_date) : ""].filter(Boolean).join(" · ")]),
              el("div", { class: "btn-list mt-2" }, actions),
            ])]));
          });
          return column;
        }));
      } catch (error) { showProblem(error); }
    };
    // Losing an opportunity says why: the reason goes into its stage history.
    const askReason = (actions, o) => {
      const field = "lost-reason-" + o.id;
      const input = el("input", { id: field, class: "form-control form-control-sm", required: true, maxlength: "2000" });
      const form = el("form", { class: "mt-2" }, [
        el("label", { class: "form-label small", for: field, text: _("Why was it lost?") }), input,
        el("div", { class: "btn-list mt-2" }, [
          el("button", { type: "submit", class: "btn btn-sm btn-danger", text: _("Mark as lost") }),
          el("button", { type: "button", class: "btn btn-sm", text: _("Cancel"), onclick: () => render() }),
        ]),
      ]);
      form.addEventListener("submit", (event) => { event.preventDefault(); move(o, "lost", input.value.trim()); });
      actions.replaceChildren(form);
      input.focus();
    };
    // Product, expected amount and due date are edited on the card; the change names the
    // version the card was drawn from (If-Match), like a move.
    const editForm = (actions, o) => {
      const id = (name) => name + "-" + o.id;
      const input = (name, props) => el("input", Object.assign({ id: id(name), name, class: "form-control form-control-sm" }, props));
      const amount = o.expected_amount || {};
      const fields = [
        [_("Product"), input("product", { value: o.product || "", maxlength: "64" })],
        [_("Expected amount"), input("amount", { value: amount.amount || "", inputmode: "decimal", pattern: "[0-9]+([.][0-9]+)?" })],
        [_("Currency"), input("currency", { value: amount.currency || "CNY", maxlength: "3", pattern: "[A-Za-z]{3}" })],
        [_("Due"), input("due_date", { type: "date", value: o.due_date || "" })],
      ];
      const form = el("form", { class: "mt-2 cg-edit-form" }, fields.map(([label, field]) => el("div", { class: "mb-1" }, [el("label", { class: "form-label small", for: field.id, text: label }), field])).concat([
        el("div", { class: "btn-list mt-2" }, [
          el("button", { type: "submit", class: "btn btn-sm btn-primary", text: _("Save") }),
          el("button", { type: "button", class: "btn btn-sm", text: _("Cancel"), onclick: () => render() }),
        ]),
      ]));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const value = (name) => form.elements[name].value.trim();
        const changes = {};
        if (value("product") !== (o.product || "")) changes.product = value("product");
        if (value("amount") && (value("amount") !== (amount.amount || "") || value("currency").toUpperCase() !== (amount.currency || "CNY"))) {
          changes.expected_amount = { amount: value("amount"), currency: value("currency").toUpperCase() };
        }
        if (value("due_date") && value("due_date") !== (o.due_date || "")) changes.due_date = value("due_date");
        if (!Object.keys(changes).length) { render(); return; }
        patch(o, changes, _("Saved."));
      });
      actions.replaceChildren(form);
      form.elements.product.focus();
    };
    // A move names the version the card was drawn from (If-Match). When someone changed the
    // opportunity meanwhile the server answers 412: say so, and redraw the board from fresh data.
    const move = (o, stage, reason) => patch(o, reason ? { stage, reason } : { stage }, fill(_("Moved to {stage}."), { stage: codeName("stage", stage) }));
    const patch = async (o, changes, done) => {
      try {
        await json("/api/v1/opportunities/" + encodeURIComponent(o.id), {
          method: "PATCH",
          headers: { "Content-Type": "application/json", "If-Match": '"' + o.version + '"' },
          body: JSON.stringify(changes),
        });
        notice(done);
        render();
      } catch (error) {
        showProblem(error);
        if (error instanceof ApiError && error.status === 412) render();
      }
    };
    render();
  };

  function csvButtons() {
    document.querySelectorAll("[data-csv]").forEach((button) => {
      button.addEventListener("click", () => download(button.dataset.csv, "report.csv").catch(showProblem));
    });
  }

  pages.reports = async function () {
    csvButtons();
    try {
      const report = await json("/api/v1/reports/events");
      const overall = report.overall;
      const charts = document.getElementById("events-charts");
      const column = () => { const c = el("div", { class: "col-lg-4" }); charts.appendChild(c); return c; };
      barChart(column(), _("By type"), codeEntries("event_type", overall.by_type));
      barChart(column(), _("By status"), codeEntries("event_status", overall.by_status));
      barChart(column(), _("Unhandled, by age"), codeEntries("age_bucket", overall.unhandled_ageing));
      charts.appendChild(el("p", { class: "col-12", text: fill(_("Actioned rate: {rate}"), { rate: percent(overall.actioned_rate) }) }));
      dataTable(document.getElementById("events-branches"), {
        title: _("By branch"),
        load: inHand(report.branches || []),
        columns: [
          { title: _("Branch"), cell: (b) => branchName(b.branch_id) },
          { title: _("Events"), cell: (b) => String(b.total), numeric: true },
          ...codesOf("event_status").map((s) => ({ title: codeName("event_status", s), cell: (b) => String((b.by_status || {})[s] || 0), numeric: true })),
          { title: _("Actioned rate"), cell: (b) => percent(b.actioned_rate), numeric: true },
        ],
      });
    } catch (error) { showProblem(error); }
    const form = document.getElementById("migration-form");
    const migration = async () => {
      const target = document.getElementById("migration");
      try {
        const data = await json("/api/v1/reports/segment-migration?" + formQuery(form));
        const cell = {};
        data.matrix.forEach((m) => { cell[m.from + ">" + m.to] = m; });
        const head = el("tr", {}, [el("th", { scope: "col", text: _("From \\ to") })].concat(data.segments.map((s) => el("th", { scope: "col", class: "cg-num", text: codeName("segment", s) }))));
        const rows = data.segments.map((from) => el("tr", {}, [el("th", { scope: "row", text: codeName("segment", from) })].concat(data.segments.map((to) => {
          const m = cell[from + ">" + to];
          const td = el("td", { class: "cg-num" + (from === to ? " diagonal" : "") }, [m ? String(m.count) : "0"]);
          if (m && m.exposure && m.exposure.length) td.appendChild(el("div", { class: "cg-amount" }, [moneyList(m.exposure, false, m.exposure_cny)]));
          return td;
        }))));
        target.replaceChildren(
          data.customers ? el("div", { class: "table-responsive", tabindex: "0", role: "region", "aria-labelledby": "migration-title" }, [el("table", { class: "table matrix" }, [el("thead", {}, [head]), el("tbody", {}, rows)])]) : emptyState(_("No segment snapshot on these dates.")),
          el("p", { text: fill(_("{up} upgraded, {down} downgraded, of {customers} customers."), { up: data.upgraded, down: data.downgraded, customers: data.customers }) }),
        );
      } catch (error) { target.replaceChildren(); showProblem(error); }
    };
    form.addEventListener("submit", (event) => { event.preventDefault(); migration(); });
    migration();
    try {
      const pipeline = await json("/api/v1/reports/pipeline");
      const container = document.getElementById("pipeline-summary");
      const chart = el("div");
      const list = el("div");
      container.replaceChildren(chart, list);
      barChart(chart, _("Opportunities by stage"), codeEntries("stage", pipeline.totals));
      dataTable(list, {
        load: inHand(pipeline.items || []),
        empty: _("No opportunities yet."),
        columns: [
          { title: _("Branch"), cell: (i) => branchName(i.branch_id) },
          { title: _("Relationship manager"), cell: (i) => rmName(i.rm_id) },
          ...pipeline.stages.map((s) => ({ title: codeName("stage", s), cell: (i) => String(i.stages[s] || 0), numeric: true })),
          { title: _("Total"), cell: (i) => String(i.count), numeric: true },
          { title: _("Expected amount in CNY"), cell: (i) => cnyTotal(i.expected_amount_cny), numeric: true },
        ],
      });
    } catch (error) { showProblem(error); }
  };

  // ---------------------------------------------------------------- scorecards (T14)
  /** A scorecard line: its value as the API formats it (money in 万/亿) and its percentile. */
  function scoreLine(line) {
    if (!line) return "";
    const title = fill(_("Peer percentile: {value}"), { value: line.percentile === null ? "—" : line.percentile });
    return el("span", { title }, [line.value_text, el("div", { class: "text-secondary small", text: line.percentile === null ? "" : "P" + line.percentile })]);
  }

  pages.scorecards = function () {
    const form = document.getElementById("scorecards-form");
    const target = document.getElementById("scorecards");
    const query = () => formQuery(form);
    const show = async () => {
      let first;
      try { first = await json("/api/v1/scorecards?" + query() + "&limit=1"); } catch (error) { showProblem(error); return; }
      const lines = first.items.length ? first.items[0].lines : [];
      dataTable(target, {
        load: fromApi("/api/v1/scorecards?" + query()),
        empty: _("No scorecard for this selection."),
        columns: [
          { title: _("Unit"), cell: (c) => c.scope_name },
          { title: _("Unit type"), cell: (c) => (c.scope_type === "rm" ? _("Relationship manager") : _("Branch")) },
          { title: _("Rank"), cell: (c) => (c.rank === null ? "—" : fill(_("{rank} of {peers}"), { rank: c.rank, peers: c.peers })), numeric: true },
          { title: _("Score"), cell: (c) => (c.score === null ? "—" : c.score), numeric: true },
          ...lines.map((l, index) => ({ title: l.name, cell: (c) => scoreLine(c.lines[index]), numeric: true })),
        ],
      });
    };
    form.addEventListener("submit", (event) => { event.preventDefault(); show(); });
    document.getElementById("scorecards-csv").addEventListener("click", () => download("/api/v1/scorecards/export?format=csv&" + query(), "scorecards.csv").catch(showProblem));
    document.getElementById("scorecards-xlsx").addEventListener("click", () => download("/api/v1/scorecards/export?format=xlsx&" + query(), "scorecards.xlsx").catch(showProblem));
    show();
  };

  // ---------------------------------------------------------------- plan (T13, T1)
  /** A figure in its metric's unit, as a reader sees it: money in 万/亿 (one formatter), %, hours. */
  function metricValue(unit, value) {
    if (value === null || value === undefined || value === "") return "—";
    if (unit === "money") return moneyText({ amount: typeof value === "number" ? value.toFixed(2) : String(value), currency: "CNY" }, true);
    const number = Number(value);
    const shown = number.toLocaleString(lang === "zh" ? "zh-CN" : "en", { maximumFractionDigits: unit === "count" ? 1 : 2 });
    if (unit === "share") return shown + "%";
    if (unit === "hours") return fill(_("{hours} h"), { hours: shown });
    return shown;
  }
  /** A plan period as a reader says it: a year, a quarter or a month. */
  function periodText(code) {
    const text = String(code || "");
    const quarter = /^(\d{4})-Q([1-4])$/.exec(text);
    if (quarter) return fill(_("Q{quarter} {year}"), { year: quarter[1], quarter: quarter[2] });
    if (/^\d{4}-\d{2}$/.test(text)) return month(text);
    if (/^\d{4}$/.test(text)) return fill(_("Year {year}"), { year: text });
    return text;
  }
  /** The target aid's trend (algorithms.target_aid.Trend) in words. */
  const AID_TRENDS = { rising: () => _("Rising"), falling: () => _("Falling"), flat: () => _("Flat"), unknown: () => _("Too little history to tell") };
  const aidTrend = (code) => (AID_TRENDS[code] ? AID_TRENDS[code]() : "—");
  const categoryName = (category) => (!category ? "" : MESSAGES["product_category\u0004" + category] ? codeName("product_category", category) : codeName("stage", category));
  const metricLabel = (p) => (p.category ? p.metric_name + " · " + categoryName(p.category) : p.metric_name);
  const unitName = (type, id, fallback) => fallback || (type === "rm" ? rmName(id) : branchName(id));

  /** Actual to date, the target line and the forecasts to the period's end, with the band. */
  function progressChart(container, p) {
    if (!window.echarts) return;
    const value = (v) => (v === null || v === undefined ? null : Number(v));
    const actual = value(p.actual);
    const target = value(p.target);
    const ends = [date(p.period_start), date(p.on), date(p.period_end)];
    const series = [
      { name: _("Target"), type: "line", data: [target, target, target], symbol: "none", lineStyle: { color: "#d63939", type: "dashed" }, itemStyle: { color: "#d63939" } },
      { name: _("Actual"), type: "line", data: [p.flow ? 0 : null, actual, null], lineStyle: { color: "#12509a", width: 3 }, itemStyle: { color: "#12509a" } },
      { name: _("Run-rate forecast"), type: "line", data: [null, actual, value(p.run_rate_forecast)], lineStyle: { color: "#667382", type: "dotted" }, itemStyle: { color: "#667382" } },
    ];
    if (p.forecast !== null && p.forecast !== undefined) {
      series.push({ name: _("Pipeline-weighted forecast"), type: "line", data: [null, actual, value(p.forecast)], lineStyle: { color: "#2fb344", type: "dashed" }, itemStyle: { color: "#2fb344" } });
    }
    if (p.band_low !== null && p.band_high !== null && p.band_low !== undefined) {
      const low = value(p.band_low);
      const high = value(p.band_high);
      series.push({ name: _("Forecast band"), type: "line", stack: "band", data: [null, actual, low], lineStyle: { opacity: 0 }, symbol: "none", tooltip: { show: false } });
      series.push({ name: _("Forecast band"), type: "line", stack: "band", data: [null, 0, high - low], lineStyle: { opacity: 0 }, symbol: "none", areaStyle: { color: "rgba(47,179,68,0.18)" }, tooltip: { show: false } });
    }
    const title = metricLabel(p);
    const chance = p.probability === null || p.probability === undefined ? "" : fill(_("Chance to reach: {chance}"), { chance: percent(p.probability) });
    const box = el("div", {
      class: "cg-chart",
      role: "img",
      "aria-label": [title, _("Target") + " " + metricValue(p.unit, p.target), _("Actual") + " " + metricValue(p.unit, p.actual), _("Run-rate forecast") + " " + metricValue(p.unit, p.run_rate_forecast), chance].filter(Boolean).join(", "),
    });
    container.appendChild(box);
    const chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption({
      title: { text: title, subtext: chance, textStyle: { fontSize: 14 } },
      legend: { bottom: 0, data: series.map((s) => s.name).filter((name, i, all) => all.indexOf(name) === i) },
      grid: { left: 8, right: 24, top: 56, bottom: 36, containLabel: true },
      tooltip: { trigger: "axis", valueFormatter: (v) => metricValue(p.unit, v) },
      xAxis: { type: "category", boundaryGap: false, data: ends },
      yAxis: { type: "value", axisLabel: { formatter: (v) => metricValue(p.unit, v) } },
      series,
      animation: false,
    });
    box.dataset.values = JSON.stringify({ actual, target, run_rate: value(p.run_rate_forecast), forecast: value(p.forecast), band: [value(p.band_low), value(p.band_high)] });
    window.addEventListener("resize", () => chart.resize());
  }

  function progressFigures(p) {
    const v = (x) => metricValue(p.unit, x);
    const pairs = [
      [_("Target"), v(p.target)],
      [_("Actual"), v(p.actual)],
      [_("Share done"), percent(p.share_done)],
      [_("Run-rate forecast"), v(p.run_rate_forecast)],
    ];
    if (p.forecast !== null && p.forecast !== undefined) {
      pairs.push([_("Pipeline-weighted additions"), v(p.pipeline_expected)]);
      pairs.push([_("Fresh wins expected"), v(p.fresh_expected)]);
      pairs.push([_("Pipeline-weighted forecast"), v(p.forecast)]);
      pairs.push([_("Forecast band"), fill(_("{low} to {high}"), { low: v(p.band_low), high: v(p.band_high) })]);
      pairs.push([_("Chance to reach"), percent(p.probability)]);
    }
    return keyValues(pairs);
  }

  pages.plan = async function (user) {
    const params = new URLSearchParams(window.location.search);
    const form = document.getElementById("plan-form");
    const onInput = document.getElementById("p-on");
    const periodSelect = document.getElementById("p-period");
    const progressBox = document.getElementById("plan-progress");
    const unitBox = document.getElementById("plan-unit");
    onInput.value = params.get("on") || new Date().toISOString().slice(0, 10);
    // The unit: ?unit=branch:<id> or rm:<id>; by default an RM's own, a manager's branch.
    const [unitType, unitId] = (params.get("unit") || "").split(":");
    let unit = unitType === "branch" || unitType === "rm" ? { type: unitType, id: unitId || "" } : user.role === "rm" ? null : { type: "branch", id: user.branch_id };
    // The language switch keeps the unit and the date.
    const toggle = document.getElementById("lang-toggle");
    const keep = new URLSearchParams(params);
    keep.set("lang", lang === "zh" ? "en" : "zh");
    toggle.setAttribute("href", "?" + keep.toString());
    const unitHref = (type, id) => {
      const next = new URLSearchParams({ unit: type + ":" + id, on: onInput.value });
      return "/ui/plan?" + next.toString();
    };

    const progressQuery = (extra) => {
      const query = new URLSearchParams({ on: onInput.value, limit: "200" });
      Object.entries(extra || {}).forEach(([k, v]) => query.set(k, v));
      return "/api/v1/kpis/progress?" + query.toString();
    };

    async function show(keepPeriod) {
      let mine;
      try {
        mine = await json(progressQuery(unit ? { scope_type: unit.type, scope_id: unit.id } : { scope_type: "rm" }));
      } catch (error) { showProblem(error); progressBox.replaceChildren(emptyState(_("Could not load this list."))); return; }
      const items = mine.items;
      if (!unit && items.length) unit = { type: items[0].scope_type, id: items[0].scope_id };
      const first = items[0];
      // Where the unit sits: its name, and its parent branch to go back up.
      const parent = first ? first.parent_id : null;
      unitBox.replaceChildren(
        el("span", { class: "h3 me-3", text: first ? first.scope_name : unit ? unitName(unit.type, unit.id) : "" }),
        parent && NAMES.branches.has(parent) && user.role !== "rm" ? link(fill(_("Up to {unit}"), { unit: branchName(parent) }), unitHref("branch", parent)) : "",
      );
      // The periods of the unit's targets; the one holding the date by default.
      const periods = Array.from(new Set(items.map((p) => p.period))).sort();
      const chosen = keepPeriod && periods.includes(periodSelect.value) ? periodSelect.value
        : (items.find((p) => p.period_start <= onInput.value && onInput.value <= p.period_end) || items[items.length - 1] || {}).period;
      periodSelect.replaceChildren(...periods.map((code) => el("option", { value: code, text: periodText(code), selected: code === chosen })));
      const current = items.filter((p) => p.period === chosen);
      progressBox.replaceChildren();
      if (!current.length) progressBox.appendChild(emptyState(_("No target for this unit.")));
      current.forEach((p) => {
        const column = el("div", { class: "col-lg-6" });
        const body = el("div", { class: "card-body" });
        column.appendChild(el("div", { class: "card" }, [body]));
        progressBox.appendChild(column);
        progressChart(body, p);
        body.appendChild(progressFigures(p));
      });

      // The pipeline behind the forecast (the opportunity targets share one pipeline).
      const pipeline = new Map();
      current.forEach((p) => (p.pipeline || []).forEach((i) => pipeline.set(i.opportunity_id, i)));
      dataTable(document.getElementById("plan-pipeline"), {
        title: _("Pipeline contributing to the forecast"),
        load: inHand(Array.from(pipeline.values()).sort((a, b) => (b.probability || 0) * Number(b.amount || 0) - (a.probability || 0) * Number(a.amount || 0))),
        empty: _("No open opportunity counts towards these targets."),
        columns: [
          { title: _("Customer"), cell: (i) => (i.company_name ? (i.is_customer ? link(i.company_name, customerHref(i.company_id)) : i.company_name) : _("Unnamed")) },
          { title: _("Stage"), cell: (i) => badge("stage", i.stage) },
          { title: _("Win probability"), cell: (i) => percent(i.probability), numeric: true },
          { title: _("Amount in CNY"), cell: (i) => (i.amount === null ? "—" : money({ amount: i.amount, currency: "CNY" })), numeric: true },
        ],
      });

      // The drill-down: the child branches' and the RMs' progress on the same period.
      const children = document.getElementById("plan-children");
      if (unit && unit.type === "branch") {
        dataTable(children, {
          title: _("Units under this branch"),
          load: fromApi("/api/v1/kpis/progress", Object.assign({ on: onInput.value, parent_id: unit.id }, chosen ? { period: chosen } : {})),
          empty: _("No unit under this branch has a target for this period."),
          columns: [
            { title: _("Unit"), cell: (c) => link(c.scope_name, unitHref(c.scope_type, c.scope_id)) },
            { title: _("Unit type"), cell: (c) => (c.scope_type === "rm" ? _("Relationship manager") : _("Branch")) },
            { title: _("Metric"), cell: (c) => metricLabel(c) },
            { title: _("Target"), cell: (c) => metricValue(c.unit, c.target), numeric: true },
            { title: _("Actual"), cell: (c) => metricValue(c.unit, c.actual), numeric: true },
            { title: _("Share done"), cell: (c) => percent(c.share_done), numeric: true },
            { title: _("Run-rate forecast"), cell: (c) => metricValue(c.unit, c.run_rate_forecast), numeric: true },
            { title: _("Pipeline-weighted forecast"), cell: (c) => metricValue(c.unit, c.forecast), numeric: true },
            { title: _("Chance to reach"), cell: (c) => percent(c.probability), numeric: true },
          ],
        });
      } else {
        children.replaceChildren();
      }
      await aidMetrics(chosen);
    }

    // Target aid (T1): the last 8 periods, the trend, the peers and a suggestion.
    const metricSelect = document.getElementById("a-metric");
    const aidBox = document.getElementById("aid");
    let aidPeriod = null;
    async function aidMetrics(period) {
      aidPeriod = period || null;
      if (!unit) { aidBox.replaceChildren(emptyState(_("No target for this unit."))); return; }
      if (!metricSelect.options.length) {
        try {
          const rows = await json("/api/v1/kpis?" + new URLSearchParams({ scope_type: unit.type, scope_id: unit.id, on: onInput.value, limit: "200" }).toString());
          const seen = new Map();
          rows.items.filter((r) => r.category === null).forEach((r) => seen.set(r.metric, r.metric_name));
          seen.forEach((name, code) => metricSelect.appendChild(el("option", { value: code, text: name })));
        } catch (error) { showProblem(error); return; }
      }
      await showAid();
    }
    async function showAid() {
      if (!unit || !metricSelect.value) return;
      const query = new URLSearchParams({ scope_type: unit.type, scope_id: unit.id, metric: metricSelect.value });
      if (aidPeriod) query.set("period", aidPeriod);
      let aid;
      try { aid = await json("/api/v1/targets/aid?" + query.toString()); } catch (error) { showProblem(error); aidBox.replaceChildren(emptyState(_("Could not load this list."))); return; }
      aidBox.replaceChildren();
      const row = el("div", { class: "row" });
      const chartColumn = el("div", { class: "col-lg-7" });
      const textColumn = el("div", { class: "col-lg-5" });
      row.append(chartColumn, textColumn);
      aidBox.appendChild(row);
      if (window.echarts) {
        const box = el("div", { class: "cg-chart", role: "img", "aria-label": aid.history.map((h) => periodText(h.period) + " " + metricValue(aid.unit, h.value)).join(", ") });
        chartColumn.appendChild(box);
        const chart = window.echarts.init(box, null, { renderer: "svg" });
        chart.setOption({
          title: { text: fill(_("{metric}: the last {count} periods"), { metric: aid.metric_name, count: aid.history.length }), textStyle: { fontSize: 14 } },
          grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
          tooltip: { trigger: "axis", valueFormatter: (v) => metricValue(aid.unit, v) },
          xAxis: { type: "category", data: aid.history.map((h) => periodText(h.period)) },
          yAxis: { type: "value", axisLabel: { formatter: (v) => metricValue(aid.unit, v) } },
          series: [{ type: "bar", data: aid.history.map((h) => (h.value === null ? null : Number(h.value))), itemStyle: { color: "#12509a" } }],
          animation: false,
        });
        box.dataset.values = JSON.stringify(aid.history.map((h) => h.value));
        window.addEventListener("resize", () => chart.resize());
      }
      textColumn.appendChild(keyValues([
        [_("Period"), periodText(aid.period)],
        [_("Trend"), aidTrend(aid.trend)],
        [_("Change per period"), metricValue(aid.unit, aid.slope)],
        [_("Peer percentile"), aid.peer_percentile === null ? "—" : fill(_("{percentile} of 100 ({peers} peers)"), { percentile: Number(aid.peer_percentile), peers: aid.peers })],
        [_("Peer median"), metricValue(aid.unit, aid.peer_median)],
        [_("Suggested target"), el("strong", { text: metricValue(aid.unit, aid.suggested_target) })],
      ]));
      textColumn.appendChild(el("h3", { class: "h4", text: _("Why") }));
      textColumn.appendChild(el("ul", { id: "aid-reasons" }, aid.reasons.map((r) => el("li", { text: r }))));
    }

    form.addEventListener("submit", (event) => { event.preventDefault(); show(true); });
    periodSelect.addEventListener("change", () => show(true));
    document.getElementById("aid-form").addEventListener("submit", (event) => { event.preventDefault(); showAid(); });
    await show(false);
  };

  // ---------------------------------------------------------------- start
  try {
    const loaded = await (await fetch("/ui/i18n/" + lang + ".json")).json();
    MESSAGES = loaded.messages;
    CODE_LISTS = loaded.code_lists;
  } catch (error) { /* the page still works, in the catalogue's source language */ }
  if (page === "login") { pages.login(); body.dataset.inflight = "0"; return; }
  if (!sessionStorage.getItem(KEY)) { window.location.assign("/"); return; }
  const user = JSON.parse(sessionStorage.getItem(USER) || "{}");
  document.querySelectorAll("nav [data-roles]").forEach((item) => { item.hidden = !item.dataset.roles.split(" ").includes(user.role); });
  document.getElementById("who").textContent = [user.name, codeName("role", user.role)].filter(Boolean).join(" · ");
  document.getElementById("logout").addEventListener("click", () => { sessionStorage.clear(); window.location.assign("/"); });
  if (!pageRoles.includes(user.role)) {
    document.getElementById("content").querySelector(".container-xl").replaceChildren(emptyState(_("This page is not available to your role.")));
    body.dataset.inflight = "0";
    return;
  }
  track(1);
  try {
    try { NAMES = await lookups(); } catch (error) { showProblem(error); }
    await (pages[page] || (() => {}))(user);
  } finally { track(-1); }
})();
