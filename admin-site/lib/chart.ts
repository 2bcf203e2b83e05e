/**
 * The adoption chart: uPlot, two series (percentage of players on the newest release, and how many
 * players there are), resized with its container.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartData } from './adoption.ts';

/** A mounted chart. */
export interface AdoptionChart {
  update(data: ChartData): void;
}

/** Mounts the chart in `parent`. */
export function createAdoptionChart(parent: HTMLElement): AdoptionChart {
  const width = () => Math.max(280, parent.clientWidth);
  const dark = matchMedia('(prefers-color-scheme: dark)').matches;
  const axis = dark ? '#9aa3ae' : '#5b6470';
  const grid = dark ? '#323842' : '#e3e6ea';
  const stepped = uPlot.paths.stepped?.({ align: 1 });
  const steps = stepped ? { paths: stepped } : {};
  const plot = new uPlot(
    {
      width: width(),
      height: 260,
      scales: {
        x: { time: true },
        pct: { range: [0, 100] },
        n: { range: (_u, _min, max) => [0, Math.max(1, max)] },
      },
      series: [
        {},
        {
          label: 'On newest release',
          scale: 'pct',
          stroke: dark ? '#7b93ff' : '#3451d1',
          fill: dark ? 'rgba(123,147,255,0.15)' : 'rgba(52,81,209,0.12)',
          width: 2,
          value: (_u, v) => (v === null ? '—' : `${v}%`),
          ...steps,
        },
        {
          label: 'Players',
          scale: 'n',
          stroke: dark ? '#ffc266' : '#c27400',
          width: 1.5,
          dash: [4, 4],
          value: (_u, v) => (v === null ? '—' : String(v)),
          ...steps,
        },
      ],
      axes: [
        { stroke: axis, grid: { stroke: grid } },
        {
          scale: 'pct',
          stroke: axis,
          grid: { stroke: grid },
          values: (_u, ticks) => ticks.map((t) => `${t}%`),
        },
        {
          scale: 'n',
          side: 1,
          stroke: axis,
          grid: { show: false },
          incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
        },
      ],
      legend: { live: true },
    },
    [[], [], []],
    parent,
  );
  new ResizeObserver(() => plot.setSize({ width: width(), height: 260 })).observe(parent);
  return { update: (data) => plot.setData(data) };
}
