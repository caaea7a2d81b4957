import 'uplot/dist/uPlot.min.css'
import './stats_chart.css'
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import type { SeriesPoint } from '../../campaign/campaign_api.js'

const LINES = [
  ['sent', 'Sent', '#3456d1'],
  ['shown', 'Shown', '#8a5cc2'],
  ['opened', 'Opened', '#1f8a4c'],
  ['replied', 'Replied', '#b7791f'],
] as const

function data(series: readonly SeriesPoint[]): uPlot.AlignedData {
  return [series.map((p) => p.at / 1000), ...LINES.map(([key]) => series.map((p) => p[key]))]
}

/** Sent/shown/opened/replied per bucket (hour or day), drawn with uPlot. */
export function StatsChart({ series, label }: { series: readonly SeriesPoint[]; label: string }) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | undefined>(undefined)
  useEffect(() => {
    const el = box.current
    if (!el) return
    const chart = new uPlot(
      {
        width: Math.max(240, el.clientWidth),
        height: 180,
        scales: { x: { time: true } },
        axes: [{}, { size: 40 }],
        legend: { live: false },
        series: [{}, ...LINES.map(([, name, stroke]) => ({ label: name, stroke, width: 2, points: { show: false } }))],
      },
      data([]),
      el,
    )
    plot.current = chart
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(240, el.clientWidth), height: 180 }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      chart.destroy()
      plot.current = undefined
    }
  }, [])
  useEffect(() => {
    plot.current?.setData(data(series))
  }, [series])
  const empty = series.every((p) => p.sent === 0 && p.shown === 0)
  return (
    <div class="stats-chart-wrap">
      <div class="stats-chart" ref={box} data-testid="stats-chart" role="img" aria-label={label} />
      {empty && <p class="no-data">No invitations in this range yet.</p>}
    </div>
  )
}
