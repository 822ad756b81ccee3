// corpgraph web UI. Plain JavaScript, no build step, no external resource.
// Data is always inserted with textContent (never innerHTML): names are untrusted.
"use strict";

(function () {
  const KEY = "corpgraph_api_key";
  const USER = "corpgraph_user";
  const LANG = "corpgraph_lang";
  const page = document.body.dataset.page;
  const subject = document.body.dataset.subject || "";

  // ---------------------------------------------------------------- language
  const TEXT = {
    zh: {
      loading: "加载中…", empty: "暂无数据", error: "出错了：", loginFailed: "密钥无效或已吊销。",
      exported: "已导出", rows: "行", of: "共", ack: "确认", toOpportunity: "转为商机",
      created: "已创建商机", acknowledged: "已确认", view: "查看", map: "图谱",
      sections: {
        profile: "基本信息", segment_history: "分层历史", products: "持有产品",
        facilities: "授信与敞口", group: "所属集团", guarantees: "担保", supply_chain: "上下游",
        counterparties: "主要交易对手（近12个月）", events: "事件", opportunities: "商机",
        introduced_prospects: "引荐的潜在客户", recommendations: "交叉销售推荐",
        contribution: "贡献度对比",
      },
    },
    en: {
      loading: "Loading…", empty: "No data", error: "Error: ", loginFailed: "Invalid or revoked key.",
      exported: "Exported", rows: "rows", of: "of", ack: "Acknowledge", toOpportunity: "Make opportunity",
      created: "Opportunity created", acknowledged: "Acknowledged", view: "View", map: "Map",
      sections: {
        profile: "Profile", segment_history: "Segment history", products: "Products held",
        facilities: "Facilities and exposure", group: "Group", guarantees: "Guarantees",
        supply_chain: "Suppliers and buyers", counterparties: "Top counterparties (12 months)",
        events: "Events", opportunities: "Opportunities", introduced_prospects: "Prospects introduced",
        recommendations: "Cross-sell recommendations", contribution: "Contribution vs peers",
      },
    },
  };
  let lang = localStorage.getItem(LANG) === "en" ? "en" : "zh";
  const t = (name) => TEXT[lang][name];

  function applyLanguage() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-zh]").forEach((el) => {
      el.textContent = el.dataset[lang];
    });
    document.querySelectorAll("[data-zh-placeholder]").forEach((el) => {
      el.placeholder = el.dataset[lang + "Placeholder"];
    });
    const toggle = document.getElementById("lang-toggle");
    if (toggle) toggle.textContent = lang === "zh" ? "EN" : "中文";
  }

  // ---------------------------------------------------------------- messages and DOM
  function message(text, ok) {
    const box = document.getElementById("message");
    box.textContent = text || "";
    box.classList.toggle("ok", Boolean(ok));
  }

  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.entries(props || {}).forEach(([k, v]) => {
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    });
    (children || []).forEach((c) => node.appendChild(typeof c === "string" ? document.createTextNode(c) : c));
    return node;
  }

  function isMoney(v) {
    return v && typeof v === "object" && "amount" in v && "currency" in v && Object.keys(v).length === 2;
  }

  function formatMoney(v) {
    const [whole, frac] = String(v.amount).split(".");
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (v.currency === "CNY" ? "¥" : v.currency + " ") + grouped + (frac ? "." + frac : "");
  }

  function formatValue(v) {
    if (v === null || v === undefined) return "";
    if (isMoney(v)) return formatMoney(v);
    if (Array.isArray(v)) {
      if (v.every(isMoney)) return v.map(formatMoney).join(" + ");
      return v.map((x) => (typeof x === "object" ? formatValue(x) : String(x))).join(", ");
    }
    if (typeof v === "object") {
      if (lang in v && typeof v[lang] === "string") return v[lang];
      return Object.entries(v).map(([k, x]) => k + ": " + formatValue(x)).join("; ");
    }
    if (typeof v === "boolean") return v ? "✓" : "";
    return String(v);
  }

  const ID_LINKS = { id: true, company_id: true, customer_id: true };

  function table(rows, options) {
    if (!rows || rows.length === 0) return el("p", { class: "empty", text: t("empty") });
    const opts = options || {};
    const columns = opts.columns || Array.from(rows.reduce((set, r) => {
      Object.keys(r).forEach((k) => { if (!(opts.hide || []).includes(k)) set.add(k); });
      return set;
    }, new Set()));
    const head = el("tr", {}, columns.map((c) => el("th", { text: c })));
    const body = rows.map((row) => el("tr", {}, columns.map((c) => {
      const value = row[c];
      const cell = el("td", { class: isMoney(value) || typeof value === "number" ? "num" : "" });
      if (ID_LINKS[c] && opts.link && value) {
        cell.appendChild(el("a", { href: opts.link(value, row), text: String(value) }));
      } else {
        cell.textContent = formatValue(value);
      }
      return cell;
    }).concat(opts.actions ? [el("td", {}, opts.actions(row))] : [])));
    if (opts.actions) head.appendChild(el("th", { text: "" }));
    return el("table", {}, [el("thead", {}, [head]), el("tbody", {}, body)]);
  }

  function keyValues(obj) {
    const dl = el("dl", { class: "kv" });
    Object.entries(obj || {}).forEach(([k, v]) => {
      dl.appendChild(el("dt", { text: k }));
      dl.appendChild(el("dd", { text: formatValue(v) }));
    });
    return dl;
  }

  // ---------------------------------------------------------------- the API
  async function api(path, options) {
    const key = sessionStorage.getItem(KEY);
    const opts = Object.assign({ headers: {} }, options || {});
    opts.headers = Object.assign({ "X-API-Key": key || "" }, opts.headers);
    const response = await fetch(path, opts);
    if (response.status === 401 && page !== "login") {
      sessionStorage.removeItem(KEY);
      window.location.assign("/");
      throw new Error("401");
    }
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
      const error = new Error(detail);
      error.status = response.status;
      throw error;
    }
    return response;
  }

  const json = async (path, options) => (await api(path, options)).json();

  async function download(path, fallbackName) {
    const response = await api(path);
    const blob = await response.blob();
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename="?([^";]+)"?/.exec(disposition);
    const link = el("a", { href: URL.createObjectURL(blob), download: match ? match[1] : fallbackName });
    document.body.appendChild(link);
    link.click();
    link.remove();
    return blob.size;
  }

  function formQuery(form, extra) {
    const params = new URLSearchParams();
    new FormData(form).forEach((value, name) => { if (String(value).trim() !== "") params.append(name, String(value).trim()); });
    Object.entries(extra || {}).forEach(([k, v]) => params.set(k, v));
    return params;
  }

  function fail(error) {
    if (error && error.message !== "401") message(t("error") + error.message);
  }

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
        window.location.assign("/ui/search");
      } catch (error) {
        sessionStorage.removeItem(KEY);
        message(t("loginFailed"));
      }
    });
  };

  function paged(render) {
    let offset = 0;
    const limit = 50;
    const info = document.getElementById("page-info");
    const go = async (delta) => {
      offset = Math.max(0, offset + delta);
      try {
        const result = await render(offset, limit);
        info.textContent = `${result.total ? offset + 1 : 0}–${Math.min(offset + limit, result.total)} ${t("of")} ${result.total}`;
        document.getElementById("prev").disabled = offset === 0;
        document.getElementById("next").disabled = offset + limit >= result.total;
      } catch (error) { fail(error); }
    };
    document.getElementById("prev").addEventListener("click", () => go(-limit));
    document.getElementById("next").addEventListener("click", () => go(limit));
    return () => { offset = 0; return go(0); };
  }

  pages.search = function () {
    const form = document.getElementById("search-form");
    const results = document.getElementById("results");
    const run = paged(async (offset, limit) => {
      results.replaceChildren(el("p", { text: t("loading") }));
      const data = await json("/api/v1/customers?" + formQuery(form, { offset, limit }));
      results.replaceChildren(table(data.items, { link: (id) => "/ui/customers/" + encodeURIComponent(id) }));
      return data;
    });
    form.addEventListener("submit", (event) => { event.preventDefault(); message(""); run(); });
    document.getElementById("export-button").addEventListener("click", async () => {
      try {
        const size = await download("/api/v1/customers/export?" + formQuery(form), "customers.csv");
        message(`${t("exported")} (${size} B)`, true);
      } catch (error) { fail(error); }
    });
    run();
  };

  pages.customer = async function () {
    const container = document.getElementById("sections");
    container.replaceChildren(el("p", { text: t("loading") }));
    try {
      const view = await json("/api/v1/customers/" + encodeURIComponent(subject));
      document.querySelector("h1").textContent = (view.profile && view.profile.name) || subject;
      container.replaceChildren();
      Object.entries(view).forEach(([name, section]) => {
        const card = el("section", { class: "card", id: "section-" + name }, [
          el("h2", { text: (t("sections")[name] || name) }),
        ]);
        renderSection(card, section);
        container.appendChild(card);
      });
    } catch (error) { container.replaceChildren(); fail(error); }
  };

  function renderSection(card, section) {
    const link = (id) => "/ui/customers/" + encodeURIComponent(id);
    if (Array.isArray(section)) { card.appendChild(table(section, { link })); return; }
    if (!section || typeof section !== "object") { card.appendChild(el("p", { text: formatValue(section) || t("empty") })); return; }
    const scalars = {};
    Object.entries(section).forEach(([k, v]) => {
      if (Array.isArray(v) && v.length && typeof v[0] === "object" && !isMoney(v[0])) {
        card.appendChild(el("h3", { text: k }));
        card.appendChild(table(v, { link, hide: ["monthly"] }));
      } else if (Array.isArray(v) && v.length === 0) {
        card.appendChild(el("h3", { text: k }));
        card.appendChild(el("p", { class: "empty", text: t("empty") }));
      } else { scalars[k] = v; }
    });
    if (Object.keys(scalars).length) card.insertBefore(keyValues(scalars), card.children[1] || null);
  }

  pages.map = function () {
    const form = document.getElementById("map-form");
    const frame = document.getElementById("map-frame");
    const draw = async () => {
      const params = new URLSearchParams({ depth: form.depth.value, limit: form.limit.value, lang });
      const types = Array.from(form.querySelectorAll("input[name=types]:checked")).map((i) => i.value);
      if (types.length) params.set("types", types.join(","));
      try {
        const response = await api("/api/v1/customers/" + encodeURIComponent(subject) + "/map?" + params);
        frame.srcdoc = await response.text();
      } catch (error) { fail(error); }
    };
    form.addEventListener("submit", (event) => { event.preventDefault(); draw(); });
    draw();
  };

  pages.prospects = function () {
    const form = document.getElementById("prospects-form");
    const results = document.getElementById("results");
    const run = paged(async (offset, limit) => {
      results.replaceChildren(el("p", { text: t("loading") }));
      const data = await json("/api/v1/prospects?" + formQuery(form, { offset, limit }));
      const items = (data.items || []).map((p) => Object.assign({}, p, {
        reasons: Array.isArray(p.reasons) ? p.reasons.map((r) => (r && r[lang]) || formatValue(r)).join("；") : formatValue(p.reasons),
      }));
      results.replaceChildren(table(items, { hide: ["components"] }));
      return { total: data.total !== undefined ? data.total : items.length };
    });
    form.addEventListener("submit", (event) => { event.preventDefault(); message(""); run(); });
    for (const [id, format] of [["export-csv", "csv"], ["export-xlsx", "xlsx"]]) {
      document.getElementById(id).addEventListener("click", async () => {
        try {
          const size = await download("/api/v1/prospects/export?" + formQuery(form, { format }), "prospects." + format);
          message(`${t("exported")} (${size} B)`, true);
        } catch (error) { fail(error); }
      });
    }
    run();
  };

  // Economic interdependence: the second kind of connection of a group, shown apart.
  const DEPENDENCE = {
    zh: {
      title: "经济依存关联（控制关系之外）", receipts: "收款", expenditures: "支出",
      flows: "资金往来", supply: "供货关系", dependent: "依存方", counterparty: "被依存方",
      member: "集团成员为", how: "依据类型", share: "占比", months: "达标月份", evidence: "说明",
      hidden: "（其他机构的客户）", currency: "币种", group: "集团（控制关系）余额",
      connected: "经济依存关联方余额", combined: "合并后的关联客户余额",
    },
    en: {
      title: "Economic interdependence (beyond control)", receipts: "receipts",
      expenditures: "expenditures", flows: "fund flows", supply: "supply link",
      dependent: "Dependent", counterparty: "Depended on", member: "Member is", how: "Basis",
      share: "Share", months: "Months at threshold", evidence: "Evidence",
      hidden: "(customer of another branch)", currency: "Currency",
      group: "Group (control) outstanding", connected: "Connected outstanding",
      combined: "Connected counterparties outstanding",
    },
  };

  function renderInterdependence(card, view) {
    const w = DEPENDENCE[lang];
    const name = (ref) => (ref && ref.visible ? ref.name || ref.id : w.hidden);
    card.appendChild(el("h3", { class: "interdependence", text: w.title }));
    card.appendChild(table(view.connections.map((c) => {
      const d = c.dependency;
      return {
        [w.dependent]: name(d.dependent),
        [w.counterparty]: name(d.counterparty),
        [w.member]: c.member_side === "dependent" ? w.dependent : w.counterparty,
        [w.how]: w[d.direction] + " · " + w[d.basis],
        [w.share]: (100 * Number(d.share)).toFixed(1) + "%",
        [w.months]: d.months_above === null ? "" : d.months_above + "/" + d.months_observed,
        [w.evidence]: d.explanation ? d.explanation[lang] : "",
      };
    })));
    card.appendChild(el("p", { text: view.label[lang] }));
    const outstanding = (list, currency) => {
      const found = (list || []).find((e) => e.currency === currency);
      return { amount: found ? found.outstanding : "0", currency };
    };
    card.appendChild(table(view.combined_exposure.map((e) => ({
      [w.currency]: e.currency,
      [w.group]: outstanding(view.group_exposure, e.currency),
      [w.connected]: outstanding(view.connected_exposure, e.currency),
      [w.combined]: outstanding(view.combined_exposure, e.currency),
    }))));
  }

  pages.groups = async function () {
    const detail = document.getElementById("detail");
    const frame = document.getElementById("detail-map");
    const show = async (path) => {
      try {
        detail.replaceChildren();
        const data = await json(path);
        const interdependence = data.economic_interdependence;
        delete data.economic_interdependence;
        renderSection(detail, data);
        if (interdependence) renderInterdependence(detail, interdependence);
        const response = await api(path + "/map?lang=" + lang);
        frame.hidden = false;
        frame.srcdoc = await response.text();
      } catch (error) { fail(error); }
    };
    try {
      const groups = await json("/api/v1/groups?sort=exposure&limit=50");
      document.getElementById("groups").replaceChildren(table(groups.items || groups, {
        actions: (g) => [el("button", { type: "button", class: "secondary", text: t("view"),
          onclick: () => show("/api/v1/groups/" + encodeURIComponent(g.group_id || g.id)) })],
      }));
    } catch (error) { fail(error); }
    try {
      const circles = await json("/api/v1/guarantee-circles");
      document.getElementById("circles").replaceChildren(table(circles.items || circles, {
        actions: (c) => [el("button", { type: "button", class: "secondary", text: t("view"),
          onclick: () => show("/api/v1/guarantee-circles/" + encodeURIComponent(c.circle_id || c.id)) })],
      }));
    } catch (error) { fail(error); }
  };

  pages.events = function () {
    const form = document.getElementById("events-form");
    const results = document.getElementById("results");
    const run = async () => {
      try {
        const data = await json("/api/v1/events?" + formQuery(form));
        const items = (data.items || data).map((e) => Object.assign({}, e, {
          customer_id: e.customer ? e.customer.id : undefined,
          customer: e.customer ? e.customer.name : undefined,
        }));
        results.replaceChildren(table(items, {
          hide: ["evidence", "history"],
          link: (id) => "/ui/customers/" + encodeURIComponent(id),
          actions: (e) => [
            el("button", { type: "button", class: "secondary", text: t("ack"), onclick: async () => {
              try { await api(`/api/v1/events/${encodeURIComponent(e.id)}/ack`, { method: "POST" }); message(t("acknowledged"), true); run(); } catch (error) { fail(error); }
            } }),
            el("button", { type: "button", class: "secondary", text: t("toOpportunity"), onclick: async () => {
              try {
                await api("/api/v1/opportunities", { method: "POST", headers: { "Content-Type": "application/json" },
                  body: JSON.stringify({ source: "event", source_id: e.id }) });
                message(t("created"), true);
              } catch (error) { fail(error); }
            } }),
          ],
        }));
      } catch (error) { fail(error); }
    };
    form.addEventListener("submit", (event) => { event.preventDefault(); message(""); run(); });
    run();
  };

  // ---------------------------------------------------------------- charts (inline SVG)
  const SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attrs, children) {
    const node = document.createElementNS(SVG, tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, String(v)));
    (children || []).forEach((c) => node.appendChild(c));
    return node;
  }

  function barChart(title, counts) {
    const entries = Object.entries(counts);
    const max = Math.max(1, ...entries.map(([, v]) => Number(v)));
    const rowHeight = 22;
    const width = 360;
    const labelWidth = 150;
    const chart = svg("svg", { class: "chart", width, height: entries.length * rowHeight + 24, role: "img" });
    const heading = svg("text", { x: 0, y: 14, "font-weight": "bold" });
    heading.textContent = title;
    chart.appendChild(heading);
    entries.forEach(([label, value], i) => {
      const y = 22 + i * rowHeight;
      const text = svg("text", { x: 0, y: y + 14 });
      text.textContent = label;
      const bar = svg("rect", {
        x: labelWidth, y: y + 3, height: rowHeight - 8, fill: "#1f6fb2",
        width: Math.max(1, ((width - labelWidth - 40) * Number(value)) / max),
      });
      bar.setAttribute("data-value", String(value));
      const count = svg("text", { x: labelWidth + ((width - labelWidth - 40) * Number(value)) / max + 4, y: y + 14 });
      count.textContent = String(value);
      chart.appendChild(text);
      chart.appendChild(bar);
      chart.appendChild(count);
    });
    return chart;
  }

  function csvButtons() {
    document.querySelectorAll("[data-csv]").forEach((button) => {
      button.addEventListener("click", async () => {
        try {
          const size = await download(button.dataset.csv, "report.csv");
          message(`${t("exported")} (${size} B)`, true);
        } catch (error) { fail(error); }
      });
    });
  }

  pages.reports = async function () {
    csvButtons();
    try {
      const report = await json("/api/v1/reports/events");
      const overall = report.overall;
      const charts = document.getElementById("events-charts");
      charts.replaceChildren(
        barChart(lang === "zh" ? "按类型" : "By type", overall.by_type),
        barChart(lang === "zh" ? "按状态" : "By status", overall.by_status),
        barChart(lang === "zh" ? "未处理账龄" : "Unhandled ageing", overall.unhandled_ageing),
      );
      charts.appendChild(el("p", { text: (lang === "zh" ? "已处理率：" : "Actioned rate: ") + (100 * overall.actioned_rate).toFixed(1) + "%" }));
      document.getElementById("events-branches").replaceChildren(table(report.branches.map((b) => Object.assign(
        { branch_id: b.branch_id, total: b.total, actioned_rate: (100 * b.actioned_rate).toFixed(1) + "%" },
        b.by_status,
      ))));
    } catch (error) { fail(error); }
    const form = document.getElementById("migration-form");
    const migration = async () => {
      try {
        const data = await json("/api/v1/reports/segment-migration?" + formQuery(form));
        const cell = {};
        data.matrix.forEach((m) => { cell[m.from + ">" + m.to] = m; });
        const head = el("tr", {}, [el("th", { text: "from \\ to" })].concat(data.segments.map((s) => el("th", { text: s }))));
        const body = data.segments.map((from) => el("tr", {}, [el("th", { text: from })].concat(data.segments.map((to) => {
          const m = cell[from + ">" + to];
          const td = el("td", { class: "num" + (from === to ? " diagonal" : ""), text: m ? String(m.count) : "0" });
          if (m) td.title = formatValue(m.exposure);
          return td;
        }))));
        document.getElementById("migration").replaceChildren(
          el("table", { class: "matrix" }, [el("thead", {}, [head]), el("tbody", {}, body)]),
          el("p", { text: `↑ ${data.upgraded} · ↓ ${data.downgraded} · ${data.customers}` }),
        );
      } catch (error) { fail(error); }
    };
    form.addEventListener("submit", (event) => { event.preventDefault(); migration(); });
    migration();
    try {
      const pipeline = await json("/api/v1/reports/pipeline");
      const container = document.getElementById("pipeline-summary");
      container.replaceChildren(barChart(lang === "zh" ? "各阶段商机数" : "Opportunities by stage", pipeline.totals), table(pipeline.items));
    } catch (error) { fail(error); }
  };

  const STAGES = ["identified", "contacted", "proposal", "won", "lost"];
  const STAGE_NAMES = {
    zh: { identified: "已识别", contacted: "已接触", proposal: "方案", won: "赢单", lost: "丢单" },
    en: { identified: "Identified", contacted: "Contacted", proposal: "Proposal", won: "Won", lost: "Lost" },
  };

  pages.pipeline = async function () {
    const board = document.getElementById("board");
    const render = async () => {
      try {
        const data = await json("/api/v1/opportunities?limit=500");
        const columns = STAGES.map((stage) => el("div", { class: "column", "data-stage": stage }, [
          el("h3", { text: STAGE_NAMES[lang][stage] }),
        ]));
        (data.items || []).forEach((o) => {
          const column = columns[STAGES.indexOf(o.stage)];
          const next = STAGES[STAGES.indexOf(o.stage) + 1];
          const actions = [];
          if (o.stage !== "won" && o.stage !== "lost") {
            if (next && next !== "lost") {
              actions.push(el("button", { type: "button", text: "→ " + STAGE_NAMES[lang][next], onclick: () => move(o.id, next) }));
            }
            actions.push(el("button", { type: "button", class: "secondary", text: STAGE_NAMES[lang].lost, onclick: () => move(o.id, "lost") }));
          }
          column.appendChild(el("div", { class: "opportunity", "data-id": o.id }, [
            el("strong", { text: o.company ? o.company.name || o.company.id : "" }),
            el("div", { text: [o.product, o.expected_amount ? formatMoney(o.expected_amount) : "", o.owner_rm_id].filter(Boolean).join(" · ") }),
            el("div", { class: "actions" }, actions),
          ]));
        });
        board.replaceChildren(...columns);
        const totals = await json("/api/v1/reports/pipeline");
        document.getElementById("totals").replaceChildren(barChart(lang === "zh" ? "各阶段商机数" : "By stage", totals.totals));
      } catch (error) { fail(error); }
    };
    const move = async (id, stage) => {
      try {
        await api("/api/v1/opportunities/" + encodeURIComponent(id), {
          method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ stage }),
        });
        message("✓", true);
        render();
      } catch (error) { fail(error); }
    };
    render();
  };

  // ---------------------------------------------------------------- start
  document.getElementById("lang-toggle").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem(LANG, lang);
    applyLanguage();
    // Pages whose content holds translated text are drawn again in the new language.
    if (["map", "reports", "pipeline"].includes(page)) window.location.reload();
  });
  applyLanguage();
  if (page !== "login") {
    if (!sessionStorage.getItem(KEY)) { window.location.assign("/"); return; }
    const user = JSON.parse(sessionStorage.getItem(USER) || "{}");
    document.getElementById("who").textContent = [user.name, user.role, user.branch_id].filter(Boolean).join(" · ");
    document.getElementById("logout").addEventListener("click", () => {
      sessionStorage.clear();
      window.location.assign("/");
    });
  }
  (pages[page] || (() => {}))();
})();
