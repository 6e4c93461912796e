/* The leaders' dashboard charts (Chart.js, self-hosted), from the json_script data.
   No animation, so a printed page shows the finished charts; the tables below hold the
   same figures for anyone who cannot see a chart. */
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var Chart = window.Chart;
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    var labels = JSON.parse(document.getElementById("dashboard-labels").textContent);
    var charts = [];

    var months = document.getElementById("chart-months");
    if (months) {
      charts.push(new Chart(months, {
        data: {
          labels: data.months.labels,
          datasets: [
            {type: "bar", label: labels.received, data: data.months.received,
             backgroundColor: "#9ec5fe", yAxisID: "y"},
            {type: "bar", label: labels.concluded, data: data.months.concluded,
             backgroundColor: "#198754", yAxisID: "y"},
            {type: "line", label: labels.on_time_rate, data: data.months.on_time_rate,
             borderColor: "#dc3545", backgroundColor: "#dc3545", yAxisID: "rate",
             spanGaps: true}
          ]
        },
        options: {
          scales: {
            y: {beginAtZero: true, ticks: {precision: 0}},
            rate: {position: "right", min: 0, max: 100, grid: {drawOnChartArea: false},
                   ticks: {callback: function (v) { return v + "%"; }}}
          }
        }
      }));
    }

    var departments = document.getElementById("chart-departments");
    if (departments) {
      var across = data.departments.labels.length > 6;
      if (across) {
        // A bar a department, each with its name (Chart.js leaves out names that do not
        // fit: on a phone it named 8 of 24): the box grows with the departments. Set
        // through the CSSOM, which the Content-Security-Policy allows.
        departments.parentNode.style.height =
          Math.max(18, 4 + 1.75 * data.departments.labels.length) + "rem";
      }
      charts.push(new Chart(departments, {
        type: "bar",
        data: {
          labels: data.departments.labels,
          datasets: [
            {label: labels.received, data: data.departments.received, backgroundColor: "#9ec5fe"},
            {label: labels.concluded, data: data.departments.concluded, backgroundColor: "#198754"},
            {label: labels.overdue, data: data.departments.overdue, backgroundColor: "#dc3545"}
          ]
        },
        options: {
          indexAxis: across ? "y" : "x",
          scales: {
            x: {beginAtZero: true},
            y: {beginAtZero: true, ticks: {autoSkip: !across}}
          }
        }
      }));
    }

    // Paper is narrower than the screen: redraw at the printed size, and back after.
    function resize() {
      charts.forEach(function (chart) { chart.resize(); });
    }
    window.addEventListener("beforeprint", resize);
    window.addEventListener("afterprint", resize);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
