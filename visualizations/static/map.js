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
  var state = { stabilized: false, selected: null, expanding: false };

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
    node.label = raw.label == null ? node.id : String(raw.label);
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
    }
    edge.hidden = Boolean(hiddenRelations[raw.relation]);
    return edge;
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
  network.on("stabilizationIterationsDone", function () {
    network.setOptions({ physics: { enabled: false } });
    setStatus("");
    if (!state.stabilized) {
      state.stabilized = true;
      document.body.setAttribute("data-stabilized", "true");
    }
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

  function setRelationVisible(relation, visible) {
    hiddenRelations[relation] = !visible;
    var changes = edges
      .get({
        filter: function (edge) {
          return edge.relation === relation;
        },
      })
      .map(function (edge) {
        return { id: edge.id, hidden: !visible };
      });
    edges.update(changes);
    var box = $("cg-filter-" + relation);
    if (box) {
      box.checked = visible;
    }
    return changes.length;
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

  /* ---- details panel ---- */

  function addRow(tbody, key, value) {
    var row = document.createElement("tr");
    var head = document.createElement("th");
    head.textContent = key;
    var cell = document.createElement("td");
    cell.textContent =
      value !== null && typeof value === "object" ? JSON.stringify(value) : String(value);
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
    $("cg-node-label").textContent = node.label;
    var tbody = $("cg-node-details");
    while (tbody.firstChild) {
      tbody.removeChild(tbody.firstChild);
    }
    addRow(tbody, T.kind, T.kinds[node.kind] || node.kind);
    addRow(tbody, T.id, node.id);
    Object.keys(node.details || {}).forEach(function (key) {
      addRow(tbody, key, node.details[key]);
    });
    $("cg-expand").hidden = !data.expand_url || node.kind === "more";
    $("cg-expand-status").textContent = "";
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
      newNodes.push(visNode(raw));
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
      newEdges.push(edge);
    });
    edges.add(newEdges);
    if (data.hierarchical && newNodes.length > 0) {
      network.fit({ animation: false }); /* the tree was laid out again, wider */
    }
    updateCounts();
    return { nodes: newNodes.length, edges: newEdges.length };
  }

  function apiKey() {
    try {
      return window.sessionStorage.getItem("corpgraph_api_key");
    } catch (err) {
      return null; /* no storage (opaque origin): call without a key */
    }
  }

  function expand(id) {
    var status = $("cg-expand-status");
    var button = $("cg-expand");
    if (!data.expand_url || state.expanding) {
      return Promise.resolve(null);
    }
    // document.baseURI, not location.href: inside the UI the map is a srcdoc frame,
    // whose location is about:srcdoc but whose base URL is the app page's.
    var base = new URL(document.baseURI);
    var url = new URL(
      data.expand_url.split("{id}").join(encodeURIComponent(String(id))),
      base.href
    );
    if (url.origin !== base.origin) {
      status.textContent = fmt(T.expand_failed, { status: "origin" });
      return Promise.resolve(null);
    }
    var headers = { Accept: "application/json" };
    var key = apiKey();
    if (key) {
      headers["X-API-Key"] = key;
    }
    state.expanding = true;
    button.disabled = true;
    status.textContent = T.expanding;
    return fetch(url.href, {
      method: "GET",
      headers: headers,
      credentials: "same-origin",
      cache: "no-store",
      redirect: "error",
    })
      .then(function (response) {
        if (!response.ok) {
          var failure = new Error("expand failed");
          failure.status = response.status;
          throw failure;
        }
        return response.json();
      })
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

  updateCounts();

  /* A small handle for the app's other pages and the browser tests. */
  window.corpgraphMap = {
    network: network,
    nodes: nodes,
    edges: edges,
    state: state,
    showDetails: showDetails,
    expand: expand,
    setRelationVisible: setRelationVisible,
  };
})();
