// Draws the charts of the dashboards (templates/dashboard_view.html) from each chart's own
// query, with the page's filters. Ours rather than datasette-dashboards' renderer because:
// - no "Open in Vega Editor": it would send the data to vega.github.io;
// - an explicit "no data" instead of an empty frame, and the error when a query fails;
// - counts are integers: quantitative axes step by 1 at least and print no decimals;
// - legends and axis labels are never cut ("Lễ hội Thiết kế sá…");
// - values are written as text, never as HTML.
(function () {
  'use strict'
  const NO_DATA = 'Không có dữ liệu cho bộ lọc này / No data for these filters'

  function dataUrl (chart, queryString, base) {
    const qs = queryString ? '&' + queryString : ''
    return `${base}${chart.db}.json?sql=${encodeURIComponent(chart.query)}${qs}&_shape=objects`
  }

  function say (el, text, state) {
    const p = document.createElement('p')
    p.className = 'kb-' + state
    p.textContent = text
    el.replaceChildren(p)
    el.dataset.state = state
  }

  function metric (el, chart, rows) {
    const p = document.createElement('p')
    p.className = 'kb-metric'
    const value = rows[0][chart.display.field]
    p.textContent = `${chart.display.prefix || ''}${value === null ? 0 : value}${chart.display.suffix || ''}`
    el.replaceChildren(p)
  }

  async function vegaLite (el, chart, rows) {
    const spec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      description: chart.title,
      width: 'container',
      view: { stroke: null },
      config: {
        background: '#00000000',
        arc: { innerRadius: 50 },
        axis: { labelLimit: 0 },
        axisQuantitative: { tickMinStep: 1, format: 'd' },
        legend: { labelLimit: 0, symbolLimit: 0 }
      },
      data: { values: rows },
      ...chart.display
    }
    const actions = { export: true, source: false, compiled: false, editor: false }
    await vegaEmbed(el, spec, { actions, renderer: 'svg' })
  }

  const RENDERERS = { metric, 'vega-lite': vegaLite }

  window.kbRenderChart = async function (slug, chart, queryString, base) {
    const el = document.getElementById('chart-' + slug)
    const render = RENDERERS[chart.library]
    if (!el || !render) return
    try {
      const response = await fetch(dataUrl(chart, queryString, base))
      const data = await response.json()
      if (!response.ok || data.ok === false) throw new Error(data.error || response.statusText)
      if (!data.rows.length) return say(el, NO_DATA, 'no-data')
      await render(el, chart, data.rows)
      el.dataset.state = 'ready'
      if (data.truncated) document.getElementById('chart-truncated-' + slug).hidden = false
    } catch (err) {
      say(el, 'Không vẽ được biểu đồ / The chart could not be drawn: ' + err.message, 'error')
    }
  }
})()
