/* corpgraph map page (inlined by visualizations/builder.py).
 *
 * Reads the JSON data block, draws the vis-network map, builds the legend with the
 * relation filters, shows a clicked node's details and expands its neighbours through
 * the app's own API. Untrusted text (names, details) only ever goes into the page as
 * DOM text (textContent), never as HTML. Nothing is loaded from any other origin.
 */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("corpgraph-map-data").textContent);
  var T = data.text;
  var hiddenRelations = {};
  var state = {
    stabilized: false,
    selected: null,
    expanding: false,
    minAmount: 0,
    search: { query: "", matches: [], index: -1 },
    more: null,
    /* Persons and contacts show or not (the legend's toggle); the map says how it opens. */
    peopleShown: data.people_shown !== false,
  };
  var PEOPLE_KINDS = { person: true, contact: true };
  var FORMAT = window.corpgraphFormat;
  var LABEL_CHARS = 12; /* longer names are cut on the canvas; the panel shows them whole */
  var hasOwn = function (object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  };

  function $(id) {
    return document.getElementById(id);
  }

  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
    });
  }

  function clone(value) {
    return JSON.parse(JSON.stringify(value));
  }

  function edgeId(source, relation, target) {
    return source + " -" + relation + "-> " + target;
  }

  /* The same styling the builder applies server-side, from the same tables. */
  function visNode(raw) {
    var kind = Object.prototype.hasOwnProperty.call(data.kind_styles, raw.kind)
      ? raw.kind
      : "non_customer";
    var node = clone(data.kind_styles[kind]);
    node.id = String(raw.id);
    node.label = raw.label == null ? "" : String(raw.label);
    node.kind = kind;
    node.title = node.label + "\n" + T.kinds[kind];
    node.details = raw.details && typeof raw.details === "object" ? raw.details : {};
    if (typeof raw.size === "number") {
      node.size = raw.size;
    }
    if (typeof raw.level === "number") {
      node.level = raw.level;
    }
    return node;
  }

  function visEdge(raw) {
    if (!raw || !Object.prototype.hasOwnProperty.call(data.relation_styles, raw.relation)) {
      return null;
    }
    var edge = clone(data.relation_styles[raw.relation]);
    edge.from = String(raw.source);
    edge.to = String(raw.target);
    edge.id = edgeId(edge.from, raw.relation, edge.to);
    edge.relation = raw.relation;
    edge.label = raw.label == null ? "" : String(raw.label);
    edge.title = (T.relation_names[raw.relation] + " " + edge.label).trim();
    if (typeof raw.weight === "number") {
      edge.value = raw.weight;
      edge.amount = raw.weight;
    }
    edge.hidden = Boolean(hiddenRelations[raw.relation]);
    return edge;
  }

  /* ---- labels: names cut to fit, amounts only above the threshold or on hover ---- */

  function shortLabel(text) {
    var chars = Array.from(String(text));
    return chars.length > LABEL_CHARS ? chars.slice(0, LABEL_CHARS - 1).join("") + "…" : text;
  }

  function prepareNode(node) {
    if (node.fullLabel === undefined) {
      node.fullLabel = node.label == null ? "" : String(node.label);
    }
    node.label =
      node.kind === "more" || node.kind === "outside" ? node.fullLabel : shortLabel(node.fullLabel);
    return node;
  }

  function edgeLabel(edge, hovered) {
    var full = edge.fullLabel || "";
    if (hovered || data.label_min_weight == null || typeof edge.amount !== "number") {
      return full;
    }
    return edge.amount >= data.label_min_weight ? full : "";
  }

  function prepareEdge(edge) {
    if (edge.fullLabel === undefined) {
      edge.fullLabel = edge.label == null ? "" : String(edge.label);
    }
    edge.label = edgeLabel(edge, false);
    return edge;
  }

  data.nodes.forEach(prepareNode);
  data.edges.forEach(prepareEdge);

  /* ---- ring layout around the subject (a customer's map) ---- */

  var measure = document.createElement("canvas").getContext("2d");

  /* The node's box with its label (vis draws a dot's label below it; the box is kept
     symmetric around the centre so that a distance between centres is enough). */
  function nodeBox(node) {
    var style = data.kind_styles[node.kind] || {};
    var font = (node.font && node.font.size) || (style.font && style.font.size) || data.font_size;
    var bold = node.font && node.font.bold;
    var width = font * Array.from(node.label || "").length;
    if (measure) {
      measure.font = (bold ? "bold " : "") + font + "px sans-serif";
      width = measure.measureText(node.label || "").width;
    }
    var size = typeof node.size === "number" ? node.size : style.size || 16;
    var border = node.borderWidth || 2;
    if (style.shape === "box") {
      return { w: width + 14 + 2 * border, h: font + 14 + 2 * border };
    }
    if (style.shape === "ellipse") {
      var line = font + 14;
      return { w: width + 14 + line + 2 * border, h: 2 * line + 2 * border };
    }
    return { w: Math.max(2 * size, width) + 10 + 2 * border, h: 2 * (size + font + 8 + border) };
  }

  /* Concentric rings by distance from the subject. Each ring has one or more tracks
     (radii D apart, D the diagonal of the ring's largest box); a node's neighbours on
     the ring sit on other tracks, and nodes of one track are at least D apart, so no
     two labels can overlap, at any zoom. Children follow their parents' angles. */
  function ringLayout(subject) {
    var adjacency = {};
    data.nodes.forEach(function (n) {
      adjacency[n.id] = [];
    });
    data.edges.forEach(function (e) {
      if (hasOwn(adjacency, e.from) && hasOwn(adjacency, e.to)) {
        adjacency[e.from].push(e.to);
        adjacency[e.to].push(e.from);
      }
    });
    var distance = {};
    var parent = {};
    distance[subject] = 0;
    var queue = [subject];
    for (var head = 0; head < queue.length; head += 1) {
      var current = queue[head];
      adjacency[current].forEach(function (next) {
        if (!hasOwn(distance, next)) {
          distance[next] = distance[current] + 1;
          parent[next] = current;
          queue.push(next);
        }
      });
    }
    var deepest = 0;
    Object.keys(distance).forEach(function (id) {
      deepest = Math.max(deepest, distance[id]);
    });
    var rings = [];
    data.nodes.forEach(function (n) {
      var d = hasOwn(distance, n.id) ? distance[n.id] : deepest + 1;
      (rings[d] = rings[d] || []).push(n);
    });
    var angle = {};
    var boxes = {};
    data.nodes.forEach(function (n) {
      boxes[n.id] = nodeBox(n);
    });
    angle[subject] = 0;
    var own = boxes[subject];
    var outer = 0;
    var previous = Math.sqrt(own.w * own.w + own.h * own.h) + 8;
    var summary = [];
    for (var k = 1; k < rings.length; k += 1) {
      var ring = rings[k] || [];
      if (ring.length === 0) {
        continue;
      }
      ring.sort(function (a, b) {
        var pa = hasOwn(parent, a.id) ? angle[parent[a.id]] : 0;
        var pb = hasOwn(parent, b.id) ? angle[parent[b.id]] : 0;
        return pa - pb || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      });
      var wide = 0;
      var tall = 0;
      ring.forEach(function (n) {
        wide = Math.max(wide, boxes[n.id].w);
        tall = Math.max(tall, boxes[n.id].h);
      });
      var step = Math.sqrt(wide * wide + tall * tall) + 8;
      var inner = outer + Math.max(step, previous);
      var n = ring.length;
      var best = null;
      for (var tracks = 1; tracks <= Math.min(8, n); tracks += 1) {
        var slots = Math.ceil(n / tracks) * tracks;
        var chord = slots > tracks ? step / (2 * Math.sin((Math.PI * tracks) / slots)) : 0;
        var radius = Math.max(inner, chord);
        var reach = radius + (tracks - 1) * step;
        if (best === null || reach < best.reach - 1e-6) {
          best = { tracks: tracks, slots: slots, radius: radius, reach: reach };
        }
      }
      var first = ring[0];
      var base = hasOwn(parent, first.id) ? angle[parent[first.id]] : -Math.PI / 2;
      ring.forEach(function (node, i) {
        var theta = base + (2 * Math.PI * i) / best.slots;
        var r = best.radius + (i % best.tracks) * step;
        node.x = r * Math.cos(theta);
        node.y = r * Math.sin(theta);
        angle[node.id] = theta;
      });
      summary.push({ ring: k, nodes: n, tracks: best.tracks, radius: best.radius, reach: best.reach });
      outer = best.reach;
      previous = step;
    }
    var centre = data.nodes.filter(function (n) {
      return n.id === subject;
    })[0];
    centre.x = 0;
    centre.y = 0;
    return summary;
  }

  var rings = [];
  if (data.layout === "radial" && data.subject) {
    rings = ringLayout(data.subject);
  }

  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var usesLevels = data.nodes.some(function (n) {
    return typeof n.level === "number";
  });
  var network = new vis.Network($("corpgraph-map"), { nodes: nodes, edges: edges }, data.options);

  function setStatus(text) {
    $("cg-status").textContent = text;
  }

  function updateCounts() {
    $("cg-counts").textContent = fmt(T.counts, { nodes: nodes.length, edges: edges.length });
  }

  /* Physics only lays the map out: it is switched off once stabilisation is done. */
  network.on("stabilizationProgress", function (params) {
    var percent = Math.round((100 * params.iterations) / Math.max(1, params.total));
    setStatus(fmt(T.stabilizing, { percent: percent }));
  });
  /* The opening view: the subject in the middle. A ring map opens at a zoom that shows
     the first ring with readable labels; other maps fit the whole drawing. */
  function centreOnSubject() {
    if (!data.subject || !nodes.get(data.subject)) {
      return;
    }
    var scale = network.getScale();
    if (rings.length > 0) {
      var box = $("corpgraph-map").getBoundingClientRect();
      var reach = rings[0].reach + 60;
      scale = Math.min(1, Math.max(0.55, Math.min(box.width, box.height) / (2 * reach)));
    }
    var position = network.getPositions([data.subject])[data.subject];
    network.moveTo({ position: position, scale: scale, animation: false });
  }

  function ready() {
    setStatus("");
    if (!state.stabilized) {
      state.stabilized = true;
      centreOnSubject();
      document.body.setAttribute("data-stabilized", "true");
    }
  }

  network.on("stabilizationIterationsDone", function () {
    network.setOptions({ physics: { enabled: false } });
    if (data.subject && rings.length === 0) {
      network.fit({ animation: false });
    }
    ready();
  });
  if (data.options.physics && data.options.physics.enabled === false) {
    /* nothing to stabilise: ready once the first frame is drawn */
    network.once("afterDrawing", ready);
  }

  /* ---- edge amounts on hover ---- */

  function showEdgeLabels(ids, hovered) {
    var changes = [];
    ids.forEach(function (id) {
      var edge = edges.get(id);
      if (edge) {
        var label = edgeLabel(edge, hovered);
        if (label !== edge.label) {
          changes.push({ id: id, label: label });
        }
      }
    });
    if (changes.length) {
      edges.update(changes);
    }
  }
  network.on("hoverEdge", function (params) {
    showEdgeLabels([params.edge], true);
  });
  network.on("blurEdge", function (params) {
    showEdgeLabels([params.edge], false);
  });
  network.on("hoverNode", function (params) {
    showEdgeLabels(network.getConnectedEdges(params.node), true);
  });
  network.on("blurNode", function (params) {
    showEdgeLabels(network.getConnectedEdges(params.node), false);
  });

  /* ---- legend and relation filters ---- */

  function swatch(width, height, draw) {
    var ratio = window.devicePixelRatio || 1;
    var canvas = document.createElement("canvas");
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    canvas.className = "cg-swatch";
    var ctx = canvas.getContext("2d");
    if (ctx) {
      ctx.scale(ratio, ratio);
      draw(ctx);
    }
    return canvas;
  }

  function polygon(ctx, cx, cy, r, sides, rotation) {
    ctx.beginPath();
    for (var i = 0; i < sides; i += 1) {
      var angle = rotation + (2 * Math.PI * i) / sides;
      var x = cx + r * Math.cos(angle);
      var y = cy + r * Math.sin(angle);
      if (i === 0) {
        ctx.moveTo(x, y);
      } else {
        ctx.lineTo(x, y);
      }
    }
    ctx.closePath();
  }

  function kindSwatch(kind) {
    var style = data.kind_styles[kind];
    return swatch(20, 20, function (ctx) {
      ctx.fillStyle = style.color.background;
      ctx.strokeStyle = style.color.border;
      ctx.lineWidth = 1.5;
      if (style.shape === "dot") {
        ctx.beginPath();
        ctx.arc(10, 10, 7, 0, 2 * Math.PI);
      } else if (style.shape === "diamond") {
        polygon(ctx, 10, 10, 8, 4, -Math.PI / 2);
      } else if (style.shape === "triangle") {
        polygon(ctx, 10, 11, 8, 3, -Math.PI / 2);
      } else if (style.shape === "hexagon") {
        polygon(ctx, 10, 10, 8, 6, 0);
      } else if (style.shape === "ellipse") {
        ctx.setLineDash([2, 2]);
        ctx.beginPath();
        ctx.ellipse(10, 10, 9, 6, 0, 0, 2 * Math.PI);
      } else {
        var dashes = style.shapeProperties && style.shapeProperties.borderDashes;
        ctx.setLineDash(Array.isArray(dashes) ? [2, 2] : []);
        ctx.beginPath();
        ctx.rect(2, 5, 16, 10);
      }
      ctx.fill();
      ctx.stroke();
    });
  }

  function relationSwatch(relation) {
    var style = data.relation_styles[relation];
    return swatch(38, 12, function (ctx) {
      ctx.strokeStyle = style.color;
      ctx.fillStyle = style.color;
      ctx.lineWidth = Math.min(3, style.width || 1);
      ctx.setLineDash(Array.isArray(style.dashes) ? style.dashes.map(function (d) {
        return d / 2;
      }) : []);
      ctx.beginPath();
      ctx.moveTo(1, 6);
      ctx.lineTo(29, 6);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.moveTo(37, 6);
      ctx.lineTo(29, 2);
      ctx.lineTo(29, 10);
      ctx.closePath();
      ctx.fill();
    });
  }

  /* What shows: edges of the ticked relations from the amount threshold up, and the
     nodes still tied to the subject through them (or, on a map without a subject, the
     nodes that keep a tie): filtering never leaves orphans floating. */
  function isPeople(id) {
    var node = nodes.get(id);
    return Boolean(node && PEOPLE_KINDS[node.kind]);
  }

  function edgeShown(edge) {
    if (hiddenRelations[edge.relation]) {
      return false;
    }
    if (!state.peopleShown && (isPeople(edge.from) || isPeople(edge.to))) {
      return false;
    }
    return !(state.minAmount > 0 && typeof edge.amount === "number" && edge.amount < state.minAmount);
  }

  function applyVisibility() {
    var edgeChanges = [];
    var shown = [];
    var degree = {};
    edges.forEach(function (edge) {
      var visible = edgeShown(edge);
      if (Boolean(edge.hidden) === visible) {
        edgeChanges.push({ id: edge.id, hidden: !visible });
      }
      if (visible) {
        shown.push(edge);
      }
      degree[edge.from] = (degree[edge.from] || 0) + 1;
      degree[edge.to] = (degree[edge.to] || 0) + 1;
    });
    edges.update(edgeChanges);
    var keep = {};
    if (data.subject && nodes.get(data.subject)) {
      var adjacency = {};
      shown.forEach(function (edge) {
        (adjacency[edge.from] = adjacency[edge.from] || []).push(edge.to);
        (adjacency[edge.to] = adjacency[edge.to] || []).push(edge.from);
      });
      keep[data.subject] = true;
      var queue = [data.subject];
      for (var head = 0; head < queue.length; head += 1) {
        (adjacency[queue[head]] || []).forEach(function (next) {
          if (!keep[next]) {
            keep[next] = true;
            queue.push(next);
          }
        });
      }
    } else {
      shown.forEach(function (edge) {
        keep[edge.from] = true;
        keep[edge.to] = true;
      });
    }
    var nodeChanges = [];
    nodes.forEach(function (node) {
      var visible =
        (Boolean(keep[node.id]) || !degree[node.id]) &&
        (state.peopleShown || !PEOPLE_KINDS[node.kind] || node.id === data.subject);
      if (Boolean(node.hidden) === visible) {
        nodeChanges.push({ id: node.id, hidden: !visible });
      }
    });
    nodes.update(nodeChanges);
    updateCounts();
  }

  function setRelationVisible(relation, visible) {
    hiddenRelations[relation] = !visible;
    var count = edges.get({
      filter: function (edge) {
        return edge.relation === relation;
      },
    }).length;
    applyVisibility();
    var box = $("cg-filter-" + relation);
    if (box) {
      box.checked = visible;
    }
    return count;
  }

  function hiddenNodeIds() {
    return nodes
      .get({
        filter: function (node) {
          return Boolean(node.hidden);
        },
      })
      .map(function (node) {
        return node.id;
      });
  }

  Object.keys(data.kind_styles).forEach(function (kind) {
    var item = document.createElement("li");
    item.setAttribute("data-kind", kind);
    item.appendChild(kindSwatch(kind));
    var name = document.createElement("span");
    name.textContent = T.kinds[kind];
    item.appendChild(name);
    $("cg-kinds").appendChild(item);
  });

  Object.keys(data.relation_styles).forEach(function (relation) {
    var item = document.createElement("li");
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.checked = true;
    box.id = "cg-filter-" + relation;
    box.setAttribute("data-relation", relation);
    box.addEventListener("change", function () {
      setRelationVisible(relation, box.checked);
    });
    label.appendChild(box);
    label.appendChild(relationSwatch(relation));
    var name = document.createElement("span");
    name.textContent = T.relation_names[relation];
    label.appendChild(name);
    item.appendChild(label);
    $("cg-relations").appendChild(item);
  });

  function setPeopleShown(shown) {
    state.peopleShown = Boolean(shown);
    $("cg-people").checked = state.peopleShown;
    applyVisibility();
  }

  $("cg-people").checked = state.peopleShown;
  $("cg-people").addEventListener("change", function () {
    setPeopleShown($("cg-people").checked);
  });

  /* ---- details panel ---- */

  function addRow(tbody, key, value) {
    var row = document.createElement("tr");
    var head = document.createElement("th");
    head.textContent = key;
    var cell = document.createElement("td");
    cell.textContent = Array.isArray(value) ? value.join("、") : String(value);
    row.appendChild(head);
    row.appendChild(cell);
    tbody.appendChild(row);
  }

  function clearDetails() {
    state.selected = null;
    $("cg-selected").hidden = true;
    $("cg-empty").hidden = false;
  }

  function showDetails(id) {
    var node = nodes.get(id);
    if (!node) {
      clearDetails();
      return false;
    }
    state.selected = node.id;
    $("cg-empty").hidden = true;
    $("cg-selected").hidden = false;
    $("cg-node-label").textContent = node.fullLabel || node.label;
    var tbody = $("cg-node-details");
    while (tbody.firstChild) {
      tbody.removeChild(tbody.firstChild);
    }
    addRow(tbody, T.kind, node.subject ? T.kinds[node.kind] + " · " + T.subject : T.kinds[node.kind]);
    /* Only the fields the catalogue names, in its order; a code shows as its name. */
    var details = node.details || {};
    Object.keys(data.detail_fields).forEach(function (field) {
      var value = details[field];
      if (value === undefined || value === null || value === "" || typeof value === "object") {
        return;
      }
      var spec = data.detail_fields[field];
      addRow(tbody, spec.label, hasOwn(spec.codes, String(value)) ? spec.codes[value] : value);
    });
    if (node.kind === "outside") {
      addRow(tbody, T.ties_outside, T.outside_note);
    }
    $("cg-expand").hidden = !data.expand_url || node.kind === "more" || node.kind === "outside";
    $("cg-expand-status").textContent = "";
    if (node.kind === "more" && data.neighbours_url && details.of) {
      openMore(String(details.of), node.id, 0);
    } else {
      $("cg-more").hidden = true;
    }
    return true;
  }

  network.on("click", function (params) {
    if (params.nodes.length > 0) {
      showDetails(params.nodes[0]);
    } else {
      clearDetails();
    }
  });

  /* ---- expand through the app's API ---- */

  function assignLevels(newNodes, rawEdges, fromId) {
    var byId = {};
    newNodes.forEach(function (node) {
      byId[node.id] = node;
    });
    function levelOf(id) {
      if (Object.prototype.hasOwnProperty.call(byId, id)) {
        return byId[id].level;
      }
      var existing = nodes.get(id);
      return existing ? existing.level : undefined;
    }
    var changed = true;
    while (changed) {
      changed = false;
      rawEdges.forEach(function (raw) {
        var source = String(raw.source);
        var target = String(raw.target);
        var sourceLevel = levelOf(source);
        var targetLevel = levelOf(target);
        if (byId[target] && typeof targetLevel !== "number" && typeof sourceLevel === "number") {
          byId[target].level = sourceLevel + 1;
          changed = true;
        } else if (
          byId[source] && typeof sourceLevel !== "number" && typeof targetLevel === "number"
        ) {
          byId[source].level = targetLevel - 1;
          changed = true;
        }
      });
    }
    var parent = nodes.get(fromId);
    var fallback = parent && typeof parent.level === "number" ? parent.level + 1 : 0;
    newNodes.forEach(function (node) {
      if (typeof node.level !== "number") {
        node.level = fallback;
      }
    });
  }

  function merge(payload, fromId) {
    var rawNodes = payload && Array.isArray(payload.nodes) ? payload.nodes : [];
    var rawEdges = payload && Array.isArray(payload.edges) ? payload.edges : [];
    rawEdges = rawEdges.filter(function (raw) {
      return raw && raw.source != null && raw.target != null;
    });
    var seen = {};
    var newNodes = [];
    rawNodes.forEach(function (raw) {
      if (!raw || raw.id == null) {
        return;
      }
      var id = String(raw.id);
      if (seen[id] || nodes.get(id)) {
        return;
      }
      seen[id] = true;
      newNodes.push(prepareNode(visNode(raw)));
    });
    if (data.hierarchical && usesLevels) {
      assignLevels(newNodes, rawEdges, fromId);
    }
    if (!data.hierarchical) {
      var origin = network.getPositions([fromId])[fromId] || { x: 0, y: 0 };
      var radius = 140 + 6 * newNodes.length;
      newNodes.forEach(function (node, i) {
        var angle = (2 * Math.PI * i) / Math.max(1, newNodes.length);
        node.x = origin.x + radius * Math.cos(angle);
        node.y = origin.y + radius * Math.sin(angle);
      });
    }
    nodes.add(newNodes);
    var newEdges = [];
    var seenEdges = {};
    rawEdges.forEach(function (raw) {
      var edge = visEdge(raw);
      if (!edge || seenEdges[edge.id] || edges.get(edge.id)) {
        return;
      }
      if (!nodes.get(edge.from) || !nodes.get(edge.to)) {
        return;
      }
      seenEdges[edge.id] = true;
      newEdges.push(prepareEdge(edge));
    });
    edges.add(newEdges);
    if (data.hierarchical && newNodes.length > 0) {
      network.fit({ animation: false }); /* the tree was laid out again, wider */
    }
    applyVisibility();
    return { nodes: newNodes.length, edges: newEdges.length };
  }

  function apiKey() {
    try {
      return window.sessionStorage.getItem("corpgraph_api_key");
    } catch (err) {
      return null; /* no storage (opaque origin): call without a key */
    }
  }

  /* GET a path of the app's own API (never another origin) with the session's key. */
  function getJson(template, id, query) {
    // document.baseURI, not location.href: inside the UI the map is a srcdoc frame,
    // whose location is about:srcdoc but whose base URL is the app page's.
    var base = new URL(document.baseURI);
    var url = new URL(template.split("{id}").join(encodeURIComponent(String(id))), base.href);
    if (url.origin !== base.origin) {
      var refused = new Error("origin");
      refused.status = "origin";
      return Promise.reject(refused);
    }
    Object.keys(query || {}).forEach(function (key) {
      url.searchParams.set(key, query[key]);
    });
    var headers = { Accept: "application/json" };
    var key = apiKey();
    if (key) {
      headers["X-API-Key"] = key;
    }
    return fetch(url.href, {
      method: "GET",
      headers: headers,
      credentials: "same-origin",
      cache: "no-store",
      redirect: "error",
    }).then(function (response) {
      if (!response.ok) {
        var failure = new Error("request failed");
        failure.status = response.status;
        throw failure;
      }
      return response.json();
    });
  }

  function expand(id) {
    var status = $("cg-expand-status");
    var button = $("cg-expand");
    if (!data.expand_url || state.expanding) {
      return Promise.resolve(null);
    }
    state.expanding = true;
    button.disabled = true;
    status.textContent = T.expanding;
    return getJson(data.expand_url, id, {})
      .then(function (payload) {
        var added = merge(payload, String(id));
        status.textContent =
          added.nodes + added.edges > 0 ? fmt(T.expanded, added) : T.nothing_new;
        return added;
      })
      .catch(function (err) {
        status.textContent = fmt(T.expand_failed, { status: (err && err.status) || "network" });
        return null;
      })
      .then(function (result) {
        state.expanding = false;
        button.disabled = false;
        return result;
      });
  }

  $("cg-expand").addEventListener("click", function () {
    if (state.selected !== null) {
      expand(state.selected);
    }
  });
  network.on("doubleClick", function (params) {
    if (params.nodes.length > 0 && showDetails(params.nodes[0]) && !$("cg-expand").hidden) {
      expand(params.nodes[0]);
    }
  });

  /* ---- "+N more": the node's other neighbours, a page at a time, added on demand ---- */

  var MORE_PAGE = 10;

  function formatAmount(minor) {
    var yuan = (Math.round(minor) / 100).toFixed(2);
    return FORMAT ? FORMAT.formatMoney(yuan, "CNY", data.language, true) : yuan;
  }

  function renderMore(page) {
    var list = $("cg-more-list");
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    (page.items || []).forEach(function (item) {
      var raw = item.nodes && item.nodes[0];
      if (!raw) {
        return;
      }
      var row = document.createElement("li");
      row.setAttribute("data-node", String(raw.id));
      var name = document.createElement("span");
      name.className = "cg-more-name";
      name.textContent = String(raw.label);
      row.appendChild(name);
      var labels = (item.edges || [])
        .map(function (e) {
          return (T.relation_names[e.relation] || "") + " " + (e.label || "");
        })
        .join("；");
      var amount = document.createElement("span");
      amount.className = "cg-more-amount";
      amount.textContent = labels.trim();
      row.appendChild(amount);
      var add = document.createElement("button");
      add.type = "button";
      add.className = "cg-button";
      var onMap = Boolean(nodes.get(String(raw.id)));
      add.textContent = onMap ? T.more_added : T.more_add;
      add.disabled = onMap;
      add.addEventListener("click", function () {
        merge({ nodes: item.nodes, edges: item.edges }, state.more.of);
        add.textContent = T.more_added;
        add.disabled = true;
      });
      row.appendChild(add);
      list.appendChild(row);
    });
    var total = page.total || 0;
    var first = total ? page.offset + 1 : 0;
    var last = Math.min(total, page.offset + (page.items || []).length);
    $("cg-more-range").textContent = fmt(T.more_range, { first: first, last: last, total: total });
    $("cg-more-prev").disabled = page.offset <= 0;
    $("cg-more-next").disabled = last >= total;
    var outside = $("cg-more-outside");
    outside.hidden = !page.outside_scope;
    outside.textContent = page.outside_scope ? fmt(T.more_outside, { count: page.outside_scope }) : "";
  }

  function openMore(of, moreId, offset) {
    state.more = { of: of, node: moreId, offset: offset, page: null };
    $("cg-more").hidden = false;
    $("cg-more-status").textContent = T.more_loading;
    return getJson(data.neighbours_url, of, {
      offset: String(offset),
      limit: String(MORE_PAGE),
      types: data.relations.join(","),
      lang: data.language,
    })
      .then(function (page) {
        if (!state.more || state.more.node !== moreId) {
          return null;
        }
        state.more.page = page;
        $("cg-more-status").textContent = "";
        renderMore(page);
        return page;
      })
      .catch(function (err) {
        $("cg-more-status").textContent = fmt(T.more_failed, {
          status: (err && err.status) || "network",
        });
        return null;
      });
  }

  $("cg-more-prev").addEventListener("click", function () {
    if (state.more) {
      openMore(state.more.of, state.more.node, Math.max(0, state.more.offset - MORE_PAGE));
    }
  });
  $("cg-more-next").addEventListener("click", function () {
    if (state.more) {
      openMore(state.more.of, state.more.node, state.more.offset + MORE_PAGE);
    }
  });

  /* ---- the amount slider (logarithmic between the smallest and largest amount) ---- */

  function amountRange() {
    var low = Infinity;
    var high = 0;
    edges.forEach(function (edge) {
      if (typeof edge.amount === "number" && edge.amount > 0) {
        low = Math.min(low, edge.amount);
        high = Math.max(high, edge.amount);
      }
    });
    return high > low ? { low: low, high: high } : null;
  }

  function setMinAmount(minor) {
    state.minAmount = Math.max(0, minor || 0);
    $("cg-amount-value").textContent =
      state.minAmount > 0 ? fmt(T.from_amount, { amount: formatAmount(state.minAmount) }) : T.all_amounts;
    applyVisibility();
  }

  (function amountSlider() {
    var range = amountRange();
    if (!range) {
      return;
    }
    $("cg-amount-tool").hidden = false;
    $("cg-amount").addEventListener("input", function () {
      var position = Number($("cg-amount").value) / 100;
      var current = amountRange() || range;
      setMinAmount(
        position <= 0
          ? 0
          : Math.exp(Math.log(current.low) + position * (Math.log(current.high) - Math.log(current.low)))
      );
    });
  })();

  /* ---- search within the map ---- */

  function normalise(text) {
    var value = String(text || "");
    if (value.normalize) {
      value = value.normalize("NFKC"); /* full-width letters and brackets as half-width */
    }
    return value.toLowerCase().replace(/\s+/g, "");
  }

  function search(query) {
    var wanted = normalise(query);
    var matches = [];
    if (wanted) {
      nodes.forEach(function (node) {
        if (!node.hidden && normalise(node.fullLabel || node.label).indexOf(wanted) >= 0) {
          matches.push(node.id);
        }
      });
    }
    state.search = { query: query, matches: matches, index: -1 };
    network.selectNodes(matches);
    $("cg-search-status").textContent = !wanted
      ? ""
      : matches.length
        ? fmt(T.search_found, { count: matches.length })
        : T.search_none;
    if (matches.length) {
      nextMatch();
    }
    return matches;
  }

  function nextMatch() {
    var found = state.search;
    if (!found.matches.length) {
      return null;
    }
    found.index = (found.index + 1) % found.matches.length;
    var id = found.matches[found.index];
    network.focus(id, { scale: Math.max(network.getScale(), 0.9), animation: false });
    showDetails(id);
    network.selectNodes(found.matches);
    return id;
  }

  $("cg-search").addEventListener("input", function () {
    search($("cg-search").value);
  });
  $("cg-search").addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      nextMatch();
    }
  });

  /* ---- PNG export: the drawing on a white background, named after the map ---- */

  function exportPng() {
    var source = document.querySelector("#corpgraph-map canvas");
    var copy = document.createElement("canvas");
    copy.width = source.width;
    copy.height = source.height;
    var ctx = copy.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, copy.width, copy.height);
    ctx.drawImage(source, 0, 0);
    var url = copy.toDataURL("image/png");
    var link = document.createElement("a");
    link.href = url;
    link.download = (data.title || "map").replace(/[\\/:*?"<>|]+/g, "_") + ".png";
    document.body.appendChild(link);
    link.click();
    document.body.removeChild(link);
    return url;
  }

  $("cg-export").addEventListener("click", exportPng);

  applyVisibility();

  /* A small handle for the app's other pages and the browser tests. */
  window.corpgraphMap = {
    network: network,
    nodes: nodes,
    edges: edges,
    state: state,
    rings: rings,
    showDetails: showDetails,
    expand: expand,
    setPeopleShown: setPeopleShown,
    openMore: openMore,
    setRelationVisible: setRelationVisible,
    setMinAmount: setMinAmount,
    hiddenNodeIds: hiddenNodeIds,
    search: search,
    exportPng: exportPng,
  };
})();
