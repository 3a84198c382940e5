// Portico's maps: turns each map figure the portal drew with a tile source
// (`figure.map[data-tiles]`) into a slippy map of its places, clustered
// where they crowd, and of its lines in the style of their key. The
// figure's lists of places and lines stay below it: they are the map's
// text alternative, and what a browser without script shows.
//
// A place field (`fieldset.place[data-tiles]`) gets a map to place its pin
// on (click, tap, or the button that puts it in the middle), a search of
// the address register that moves the map, and "use my location"; the
// pin fills in the two coordinates and names the place by its nearest
// address. Its inputs stay what is posted: without script they are all
// there is.
(function () {
  "use strict";
  var L = window.L;
  if (!L) {
    return;
  }

  function pinIcon() {
    return L.divIcon({
      className: "map-pin",
      html: "<span></span>",
      iconSize: [28, 28],
      iconAnchor: [14, 28],
      popupAnchor: [0, -26],
    });
  }

  function popup(li) {
    // Built from the list item's own nodes: nothing is parsed as HTML.
    var box = document.createElement("div");
    var link = li.querySelector("a:not(.external)");
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.textContent;
      box.appendChild(a);
    } else {
      box.textContent = li.firstChild ? li.firstChild.textContent : li.textContent;
    }
    return box;
  }

  function draw(figure) {
    var items = figure.querySelectorAll("ol.places li[data-lat]");
    var lines = figure.querySelectorAll("ol.lines li[data-line]");
    if (!items.length && !lines.length) {
      return;
    }
    var area = document.createElement("div");
    area.className = "slippy";
    area.setAttribute("role", "region");
    area.setAttribute("aria-label", figure.getAttribute("data-label") || "");
    var plan = figure.querySelector("svg[role=img]");
    if (plan) {
      plan.parentNode.replaceChild(area, plan);
    } else {
      figure.insertBefore(area, figure.querySelector("ol.places"));
    }
    var map = L.map(area, { scrollWheelZoom: false, zoomControl: false });
    tileLayer(figure, map);
    var group = L.markerClusterGroup
      ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 })
      : L.featureGroup();
    var bounds = [];
    // Added once the map has its view: a line needs one to be drawn.
    var roads = L.featureGroup();
    lines.forEach(function (li) {
      var points = li
        .getAttribute("data-line")
        .split(" ")
        .map(function (pair) {
          var ll = pair.split(",");
          return [parseFloat(ll[0]), parseFloat(ll[1])];
        });
      var line = L.polyline(points, { className: "road road-" + li.getAttribute("data-style") });
      line.bindPopup(popup(li));
      roads.addLayer(line);
      points.forEach(function (p) {
        bounds.push(p);
      });
    });
    items.forEach(function (li, i) {
      var at = [parseFloat(li.getAttribute("data-lat")), parseFloat(li.getAttribute("data-lon"))];
      var label = (i + 1) + ". " + (li.firstChild ? li.firstChild.textContent : "");
      var marker = L.marker(at, { icon: pinIcon(), title: label, alt: label, keyboard: true });
      marker.bindPopup(popup(li));
      group.addLayer(marker);
      bounds.push(at);
    });
    group.addTo(map);
    // The popup's close button, named in the page's language.
    map.on("popupopen", function (e) {
      var close = e.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) {
        close.setAttribute("aria-label", figure.getAttribute("data-close") || "×");
        close.setAttribute("title", figure.getAttribute("data-close") || "×");
      }
    });
    map.fitBounds(bounds, { maxZoom: 17, padding: [24, 24] });
    roads.addTo(map);
    figure.classList.add("drawn");
  }

  function tileLayer(box, map) {
    L.control
      .zoom({
        zoomInTitle: box.getAttribute("data-zoom-in") || "+",
        zoomOutTitle: box.getAttribute("data-zoom-out") || "-",
      })
      .addTo(map);
    map.attributionControl.setPrefix(false);
    L.tileLayer(box.getAttribute("data-tiles"), {
      maxZoom: 19,
      attribution: box.getAttribute("data-attribution"),
    }).addTo(map);
  }

  function button(text) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "button secondary";
    b.textContent = text;
    return b;
  }

  function getJson(url, done) {
    fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(done, function () {
        done(null);
      });
  }

  function place(set) {
    var say = function (name) {
      return set.getAttribute("data-" + name) || "";
    };
    var address = set.querySelector("input[type=text]:not([inputmode])");
    var lat = set.querySelector("input[name$='.lat']");
    var lon = set.querySelector("input[name$='.lon']");
    if (!address || !lat || !lon) {
      return;
    }
    // What the portal wrote in the address, so that a pin moved later
    // renames the place but never overwrites what the person typed.
    var named = null;
    var status = document.createElement("p");
    status.className = "place-status";
    status.setAttribute("role", "status");
    var tools = document.createElement("div");
    tools.className = "place-tools";
    var find = button(say("find"));
    var locate = button(say("locate"));
    var centre = button(say("centre"));
    tools.appendChild(find);
    if (navigator.geolocation) {
      tools.appendChild(locate);
    }
    tools.appendChild(centre);
    var results = document.createElement("ul");
    results.className = "place-results";
    var area = document.createElement("div");
    area.className = "slippy place-map";
    area.setAttribute("role", "region");
    area.setAttribute("aria-label", say("map-label"));
    var field = address.parentNode;
    field.parentNode.insertBefore(tools, field.nextSibling);
    tools.parentNode.insertBefore(results, tools.nextSibling);
    results.parentNode.insertBefore(area, results.nextSibling);
    area.parentNode.insertBefore(status, area.nextSibling);

    var map = L.map(area, { scrollWheelZoom: false, zoomControl: false });
    tileLayer(set, map);
    var pin = null;
    function put(at, zoom, why) {
      if (!pin) {
        pin = L.marker(at, { icon: pinIcon(), keyboard: false, draggable: true });
        pin.on("dragend", function () {
          var p = pin.getLatLng();
          put([p.lat, p.lng], null, "pin");
        });
        pin.addTo(map);
      } else {
        pin.setLatLng(at);
      }
      lat.value = at[0].toFixed(6);
      lon.value = at[1].toFixed(6);
      if (zoom) {
        map.setView(at, zoom);
      }
      if (why === "pin") {
        getJson("/addresses/nearest?lat=" + at[0] + "&lon=" + at[1], function (a) {
          if (!a || a.metres > 50) {
            status.textContent = "";
            return;
          }
          status.textContent = say("nearest") + ": " + a.label + " (" + a.metres + " m)";
          if (!address.value.trim() || address.value === named) {
            address.value = a.label;
            named = a.label;
          }
        });
      }
    }
    var given = [parseFloat(lat.value), parseFloat(lon.value)];
    if (isFinite(given[0]) && isFinite(given[1])) {
      put(given, 17, null);
    } else {
      getJson("/addresses/extent", function (e) {
        if (e) {
          map.fitBounds([[e.south, e.west], [e.north, e.east]], { maxZoom: 16 });
        } else {
          map.setView([49.8, 15.5], 7);
        }
      });
    }
    map.on("click", function (e) {
      put([e.latlng.lat, e.latlng.lng], null, "pin");
    });
    centre.addEventListener("click", function () {
      var c = map.getCenter();
      put([c.lat, c.lng], null, "pin");
    });
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(
        function (p) {
          put([p.coords.latitude, p.coords.longitude], 18, "pin");
        },
        function () {
          status.textContent = say("no-location");
        },
        { enableHighAccuracy: true, timeout: 10000 }
      );
    });
    find.addEventListener("click", function () {
      var q = address.value.trim();
      results.textContent = "";
      if (!q) {
        address.focus();
        return;
      }
      getJson("/addresses/search?q=" + encodeURIComponent(q), function (found) {
        found = (found || []).filter(function (a) {
          return a.lat !== null && a.lon !== null;
        });
        status.textContent = found.length ? say("found") + ": " + found.length : say("none");
        found.forEach(function (a) {
          var li = document.createElement("li");
          var choose = button(a.label);
          choose.className = "link";
          choose.addEventListener("click", function () {
            address.value = a.label;
            named = a.label;
            results.textContent = "";
            status.textContent = a.label;
            put([a.lat, a.lon], 18, null);
          });
          li.appendChild(choose);
          results.appendChild(li);
        });
        if (found.length === 1) {
          results.querySelector("button").click();
        }
      });
    });
    set.classList.add("drawn");
  }

  document.querySelectorAll("figure.map[data-tiles]").forEach(draw);
  document.querySelectorAll("fieldset.place[data-tiles]").forEach(place);
})();
