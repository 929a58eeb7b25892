/*
 * 统计分析 dashboard and 考核 page (admin/templates/onewindow/stats/). Plain ES2017, no inline handlers (the
 * pages' Content-Security-Policy allows only scripts from this site).
 *
 * - The period form sends itself when a choice changes (kind, day, basis, area, breakdown); "自定义" shows
 *   the from/to dates instead of the day.
 * - Charts are drawn by ECharts (vendored from npm) from the JSON block #stats-charts: the trend, received
 *   cases per department and per area (a click opens the cases behind the bar), and the tree of areas.
 * - [data-print] prints the page (the 考核 table has print styles).
 */
(function () {
  'use strict';

  function autoSubmit(form) {
    var kinds = form.querySelectorAll('input[name=kind]');
    var anchor = form.querySelector('.ow-anchor');
    var range = form.querySelector('.ow-range');
    kinds.forEach(function (radio) {
      radio.addEventListener('change', function () {
        var custom = radio.value === 'range' && radio.checked;
        if (anchor) anchor.hidden = custom;
        if (range) range.hidden = !custom;
        if (!custom) form.submit();
      });
    });
    form.querySelectorAll('select.ow-auto, input[type=date].ow-auto').forEach(function (field) {
      field.addEventListener('change', function () { form.submit(); });
    });
  }

  function opens(chart, urls) {
    chart.on('click', function (params) {
      var url = urls[params.dataIndex];
      if (url) window.location.href = url;
    });
  }

  function bars(el, data, colour) {
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: { trigger: 'axis' },
      grid: { left: 100, right: 20, top: 10, bottom: 30 },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: data.labels, inverse: true },
      series: [{ type: 'bar', data: data.values, itemStyle: { color: colour }, cursor: 'pointer' }]
    });
    opens(chart, data.urls);
    return chart;
  }

  function draw(data) {
    var charts = [];
    var trend = document.getElementById('chart-trend');
    if (trend) {
      var line = window.echarts.init(trend);
      line.setOption({
        tooltip: { trigger: 'axis' },
        legend: { data: [data.labels.received, data.labels.completed] },
        grid: { left: 40, right: 20, top: 30, bottom: 30 },
        xAxis: { type: 'category', data: data.trend.labels },
        yAxis: { type: 'value', minInterval: 1 },
        series: [
          { name: data.labels.received, type: 'line', data: data.trend.received, cursor: 'pointer' },
          { name: data.labels.completed, type: 'line', data: data.trend.completed }
        ]
      });
      opens(line, data.trend.urls);
      charts.push(line);
    }
    var departments = document.getElementById('chart-departments');
    if (departments) charts.push(bars(departments, data.departments, '#337ab7'));
    var towns = document.getElementById('chart-towns');
    if (towns) charts.push(bars(towns, data.towns, '#5cb85c'));
    var tree = document.getElementById('chart-tree');
    if (tree) {
      var t = window.echarts.init(tree);
      t.setOption({
        tooltip: { trigger: 'item' },
        series: [{
          type: 'tree', data: [data.tree], top: 10, left: 60, bottom: 10, right: 120,
          initialTreeDepth: 3, label: { position: 'left', verticalAlign: 'middle', align: 'right' },
          leaves: { label: { position: 'right', align: 'left' } }
        }]
      });
      charts.push(t);
    }
    window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
    document.body.setAttribute('data-charts', String(charts.length));
  }

  document.addEventListener('DOMContentLoaded', function () {
    ['period-form', 'assessment-form'].forEach(function (id) {
      var form = document.getElementById(id);
      if (form) autoSubmit(form);
    });
    document.querySelectorAll('[data-print]').forEach(function (button) {
      button.addEventListener('click', function () { window.print(); });
    });
    var block = document.getElementById('stats-charts');
    if (block && window.echarts) {
      try {
        draw(JSON.parse(block.textContent));
      } catch (error) {
        document.body.setAttribute('data-charts', 'error: ' + error.message);
      }
    }
  });
}());
