// Portico's maps: turns each map figure the portal drew with a tile source
// (`figure.map[data-tiles]`) into a slippy map of its places, clustered
// where they crowd. The figure's list of places stays below it: it is the
// map's text alternative, and what a browser without script shows.
(function () {
  "use strict";
  var L = window.L;
  if (!L) {
    return;
  }

  function pin() {
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
    if (!items.length) {
      return;
    }
    var area = document.createElement("div");
    area.className = "slippy";
    area.setAttribute("role", "region");
    area.setAttribute("aria-label", figure.getAttribute("data-label") || "");
    var plan = figure.querySelector("svg");
    if (plan) {
      plan.parentNode.replaceChild(area, plan);
    } else {
      figure.insertBefore(area, figure.querySelector("ol.places"));
    }
    var map = L.map(area, { scrollWheelZoom: false, zoomControl: false });
    L.control
      .zoom({
        zoomInTitle: figure.getAttribute("data-zoom-in") || "+",
        zoomOutTitle: figure.getAttribute("data-zoom-out") || "-",
      })
      .addTo(map);
    map.attributionControl.setPrefix(false);
    L.tileLayer(figure.getAttribute("data-tiles"), {
      maxZoom: 19,
      attribution: figure.getAttribute("data-attribution"),
    }).addTo(map);
    var group = L.markerClusterGroup
      ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 })
      : L.featureGroup();
    var bounds = [];
    items.forEach(function (li, i) {
      var at = [parseFloat(li.getAttribute("data-lat")), parseFloat(li.getAttribute("data-lon"))];
      var label = (i + 1) + ". " + (li.firstChild ? li.firstChild.textContent : "");
      var marker = L.marker(at, { icon: pin(), title: label, alt: label, keyboard: true });
      marker.bindPopup(popup(li));
      group.addLayer(marker);
      bounds.push(at);
    });
    group.addTo(map);
    map.fitBounds(bounds, { maxZoom: 17, padding: [24, 24] });
    figure.classList.add("drawn");
  }

  document.querySelectorAll("figure.map[data-tiles]").forEach(draw);
})();
