'use client';

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface Series {
  id: string;
  name: string;
  points: { t: number; value: number }[];
}

// Eight distinguishable hues (Okabe–Ito, safe for the common colour blindnesses); more series repeat them.
const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

const day = new Intl.DateTimeFormat('en-GB', { day: '2-digit', month: 'short' });
const dayTime = new Intl.DateTimeFormat('en-GB', { day: '2-digit', month: 'short', hour: '2-digit', minute: '2-digit' });

/**
 * One line per series over time (epoch ms on the x axis), values formatted for people by `format`. Each series
 * carries its own points: sources back up at different times, so there is no shared x to align them on.
 */
export function TimeSeriesChart({
  series,
  format,
  label,
  height = 240,
}: {
  series: Series[];
  format: (value: number) => string;
  /** What the chart shows, for screen readers ("Backup duration per source"). */
  label: string;
  height?: number;
}) {
  return (
    <div role="img" aria-label={label} style={{ width: '100%', height }}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--border, #e3e7ee)" />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={['dataMin', 'dataMax']}
            tickFormatter={(t: number) => day.format(new Date(t))}
            tick={{ fontSize: 11 }}
            minTickGap={24}
          />
          {/* Whole ticks: "0 s, 0 s, 1 s" helps nobody. */}
          <YAxis tickFormatter={(v: number) => format(v)} tick={{ fontSize: 11 }} width={72} allowDecimals={false} />
          <Tooltip
            labelFormatter={(t) => (typeof t === 'number' ? dayTime.format(new Date(t)) : String(t))}
            formatter={(v) => (typeof v === 'number' ? format(v) : String(v))}
          />
          {series.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
          {series.map((s, i) => (
            <Line
              key={s.id}
              data={s.points}
              dataKey="value"
              name={s.name}
              stroke={COLOURS[i % COLOURS.length]}
              strokeWidth={2}
              dot={s.points.length < 40 ? { r: 2 } : false}
              isAnimationActive={false}
              connectNulls
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
