'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { API_BASE, api } from '@/components/api/client';
import { ACTIVE_REFRESH_MS, keys } from '@/components/api/queries';
import { isTerminal, type Items, type ProgressEvent, type RunDetail, type RunLog } from '@/components/api/types';

/**
 * How the page learns about the run:
 * - `live`: an EventSource on /runs/{id}/events pushes progress and log lines into the react-query cache;
 * - `polling`: the stream failed or dropped before a terminal status, so GET /runs/{id} and /logs every 2 s;
 * - `done`: the run is finished; nothing to follow.
 */
export type Transport = 'live' | 'polling' | 'done';

// While the stream is healthy the run is still re-read now and then: a run failed by the reaper or cancelled while
// queued changes in the database without any progress event being published.
const LIVE_SAFETY_REFRESH_MS = 15_000;

export function useLiveRun(id: string) {
  const queryClient = useQueryClient();
  const [streamFailed, setStreamFailed] = useState(false);
  const [lastEvent, setLastEvent] = useState<ProgressEvent | null>(null);
  const [liveLogs, setLiveLogs] = useState<RunLog[]>([]);

  const run = useQuery({
    queryKey: keys.run(id),
    queryFn: ({ signal }) => api<RunDetail>(`/runs/${encodeURIComponent(id)}`, { signal }),
    refetchInterval: (q) => (isTerminal(q.state.data?.status) || q.state.error ? false : streamFailed ? ACTIVE_REFRESH_MS : LIVE_SAFETY_REFRESH_MS),
  });
  const terminal = isTerminal(run.data?.status);
  const polling = streamFailed && !terminal;

  const logs = useQuery({
    queryKey: keys.runLogs(id),
    queryFn: ({ signal }) => api<Items<RunLog>>(`/runs/${encodeURIComponent(id)}/logs`, { signal }).then((r) => r.items),
    refetchInterval: polling ? ACTIVE_REFRESH_MS : false,
  });

  // Open the stream once the run is known to be unfinished; closing happens in the cleanup when that stops being true.
  const stream = run.data !== undefined && !terminal && !streamFailed;
  useEffect(() => {
    if (!stream) return;
    if (typeof EventSource === 'undefined') {
      setStreamFailed(true);
      return;
    }
    const es = new EventSource(`${API_BASE}/runs/${encodeURIComponent(id)}/events`);
    let first = true;
    let finished = false;
    es.addEventListener('progress', (message: MessageEvent<string>) => {
      const event = parseEvent(message.data);
      if (!event) return;
      setLastEvent(event);
      queryClient.setQueryData<RunDetail>(keys.run(id), (old) =>
        old && !isTerminal(old.status)
          ? { ...old, status: event.status, phase: event.phase, bytesDone: event.bytesDone, bytesTotal: event.bytesTotal, error: event.error ?? old.error }
          : old,
      );
      const log = event.log;
      if (log) setLiveLogs((lines) => [...lines, { id: `live-${lines.length}`, ...log }]);
      if (first) {
        // Lines logged between the first GET /logs and the subscription are not replayed by the stream.
        first = false;
        void queryClient.invalidateQueries({ queryKey: keys.runLogs(id), exact: true });
      }
      if (isTerminal(event.status)) {
        finished = true;
        es.close();
        // The final row carries what events do not: finish time, error text, the recovery point.
        void queryClient.invalidateQueries({ queryKey: keys.run(id) });
      }
    });
    es.onerror = () => {
      if (finished) return;
      // EventSource would reconnect on its own and replay nothing; polling the row is simpler and always right.
      es.close();
      setStreamFailed(true);
    };
    return () => es.close();
  }, [stream, id, queryClient]);

  // A finished run changes other screens: a new recovery point, the source's last run, the runs list.
  useEffect(() => {
    if (!terminal) return;
    void queryClient.invalidateQueries({ queryKey: ['sources'] });
    void queryClient.invalidateQueries({ queryKey: ['runs', 'list'] });
  }, [terminal, queryClient]);

  // Rate: the worker's own figure when streaming; otherwise derived from successive polls.
  const polledRate = usePolledRate(run.data, run.dataUpdatedAt);
  const rate = terminal ? null : !streamFailed && lastEvent ? lastEvent.rate : polledRate;

  const mergedLogs = useMemo(() => mergeLogs(logs.data ?? [], liveLogs), [logs.data, liveLogs]);

  const transport: Transport = terminal ? 'done' : streamFailed ? 'polling' : 'live';
  return { run, logs, mergedLogs, transport, rate };
}

function parseEvent(data: string): ProgressEvent | null {
  try {
    const event = JSON.parse(data) as ProgressEvent;
    return typeof event === 'object' && event !== null && typeof event.status === 'string' ? event : null;
  } catch {
    return null;
  }
}

/** Stored lines first (they have ids and order), then live lines not stored yet; the same line has the same time and text. */
export function mergeLogs(stored: RunLog[], live: RunLog[]): RunLog[] {
  const seen = new Set(stored.map((l) => `${l.at}|${l.message}`));
  return [...stored, ...live.filter((l) => !seen.has(`${l.at}|${l.message}`))];
}

function usePolledRate(run: RunDetail | undefined, updatedAt: number): number | null {
  const prev = useRef<{ at: number; bytes: number } | null>(null);
  const [rate, setRate] = useState<number | null>(null);
  const bytes = run?.bytesDone;
  useEffect(() => {
    if (bytes === undefined) return;
    const p = prev.current;
    prev.current = { at: updatedAt, bytes };
    if (p && updatedAt > p.at && bytes >= p.bytes) setRate(((bytes - p.bytes) * 1000) / (updatedAt - p.at));
  }, [bytes, updatedAt]);
  return rate;
}
