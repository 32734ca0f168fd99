'use client';

import { useEffect, useMemo, useState } from 'react';
import { operationsByTag, refName, schemaText, tryUrl, type OpenApiDoc, type ViewOperation } from './openapi-view';

const DOCUMENT_URL = '/api/v1/openapi.json';
// A try-it answer is shown, not stored: 200 KB of JSON is more than a person reads, and keeps the page responsive.
const MAX_SHOWN_CHARS = 200_000;

const METHOD_BADGE: Record<string, string> = {
  GET: 'badge-info',
  POST: 'badge-success',
  PUT: 'badge-warning',
  PATCH: 'badge-warning',
  DELETE: 'badge-danger',
};

/**
 * The API reference: every operation of GET /api/v1/openapi.json by tag, with parameters, request and answer
 * schemas, and "try it" for GETs (sent from this browser, with its session cookie or a token typed here and kept in
 * this page only). Self-contained: no script or style from anywhere else.
 */
export function ApiReference() {
  const [doc, setDoc] = useState<OpenApiDoc | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const [token, setToken] = useState('');

  useEffect(() => {
    const controller = new AbortController();
    fetch(DOCUMENT_URL, { signal: controller.signal, headers: { accept: 'application/json' } })
      .then(async (res) => {
        if (!res.ok) throw new Error(`${DOCUMENT_URL} answered ${res.status}`);
        setDoc((await res.json()) as OpenApiDoc);
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(e instanceof Error ? e.message : String(e));
      });
    return () => controller.abort();
  }, []);

  const tags = useMemo(() => (doc ? operationsByTag(doc, filter) : []), [doc, filter]);

  return (
    <>
      <header className="page-header">
        <div>
          <h1>{doc?.info?.title ?? 'Lifeboat API'}</h1>
          <p className="muted">
            OpenAPI 3.1 document: <a href={DOCUMENT_URL}>{DOCUMENT_URL}</a>. {doc?.info?.description}
          </p>
        </div>
      </header>
      {error && <div className="alert alert-danger">Could not load the document: {error}</div>}
      {!doc && !error && <p className="muted">Loading…</p>}
      {doc && (
        <>
          <div className="card">
            <div className="form-inline">
              <label className="field grow">
                <span>Filter</span>
                <input value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="path, summary or permission, e.g. restore" />
              </label>
              <label className="field grow">
                <span>API token for “try it” (optional: without one, your session is used)</span>
                <input type="password" value={token} onChange={(e) => setToken(e.target.value)} placeholder="lbt_…" autoComplete="off" />
              </label>
            </div>
          </div>
          {tags.map((tag) => (
            <section key={tag.name} className="card">
              <h2>{tag.name}</h2>
              {tag.operations.map((op) => (
                <OperationView key={op.id} op={op} doc={doc} token={token} />
              ))}
            </section>
          ))}
          {tags.length === 0 && <p className="muted">No operation matches “{filter}”.</p>}
        </>
      )}
    </>
  );
}

function OperationView({ op, doc, token }: { op: ViewOperation; doc: OpenApiDoc; token: string }) {
  return (
    <details id={op.id} style={{ borderTop: '1px solid var(--border)', padding: '8px 0' }}>
      <summary style={{ cursor: 'pointer', display: 'flex', gap: 8, alignItems: 'baseline', flexWrap: 'wrap' }}>
        <span className={`badge ${METHOD_BADGE[op.method] ?? 'badge-neutral'}`} style={{ minWidth: 56, justifyContent: 'center' }}>
          {op.method}
        </span>
        <span className="mono">{op.path}</span>
        <span className="muted">{op.summary}</span>
      </summary>
      <div style={{ padding: '8px 0 8px 16px' }}>
        {op.description && <p>{op.description}</p>}
        {op.parameters.length > 0 && (
          <>
            <h3 className="subheading">Parameters</h3>
            <table className="table">
              <thead>
                <tr>
                  <th>name</th>
                  <th>in</th>
                  <th>type</th>
                  <th>description</th>
                </tr>
              </thead>
              <tbody>
                {op.parameters.map((p) => (
                  <tr key={`${p.in}:${p.name}`}>
                    <td className="mono">
                      {p.name}
                      {p.required ? ' *' : ''}
                    </td>
                    <td>{p.in}</td>
                    <td className="mono small">{schemaText(p.schema, doc, 0)}</td>
                    <td className="small">{p.description ?? p.schema?.description ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
        {op.body && (
          <>
            <h3 className="subheading">
              Request body (application/json{op.body.required ? ', required' : ''}){refName(op.body.schema?.$ref) ? `: ${refName(op.body.schema?.$ref)}` : ''}
            </h3>
            <pre className="config mono small" style={{ whiteSpace: 'pre-wrap' }}>
              {schemaText(op.body.schema, doc, 2)}
            </pre>
          </>
        )}
        <h3 className="subheading">Answers</h3>
        <table className="table">
          <tbody>
            {op.responses.map((r) => (
              <tr key={r.status}>
                <td className="mono">{r.status}</td>
                <td className="small">{r.description}</td>
                <td className="mono small">{r.mediaTypes.join(', ')}</td>
                <td className="mono small">{r.schema ? (refName(r.schema.$ref) ?? schemaText(r.schema, doc, 0)) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {op.responses[0]?.schema && (
          <details>
            <summary className="small" style={{ cursor: 'pointer' }}>
              Answer {op.responses[0].status}, in full
            </summary>
            <pre className="config mono small" style={{ whiteSpace: 'pre-wrap' }}>
              {schemaText(op.responses[0].schema, doc, 3)}
            </pre>
          </details>
        )}
        {op.method === 'GET' && <TryIt op={op} token={token} />}
      </div>
    </details>
  );
}

interface TryAnswer {
  status: number;
  headers: string;
  body: string;
}

function TryIt({ op, token }: { op: ViewOperation; token: string }) {
  const params = op.parameters.filter((p) => p.in === 'path' || p.in === 'query');
  const [values, setValues] = useState<Record<string, string>>({});
  const [answer, setAnswer] = useState<TryAnswer | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const target = tryUrl(op.path, values, params);
  // Streams (progress events) and downloads are better opened by a client that knows what to do with them.
  const streaming = op.responses.some((r) => r.mediaTypes.some((m) => m === 'text/event-stream' || m === 'application/octet-stream'));

  async function send() {
    if (!('url' in target)) return;
    setBusy(true);
    setProblem(null);
    setAnswer(null);
    try {
      const res = await fetch(target.url, {
        headers: { accept: 'application/json', ...(token.trim() ? { authorization: `Bearer ${token.trim()}` } : {}) },
        credentials: 'same-origin',
        cache: 'no-store',
      });
      const text = await res.text();
      let body = text;
      try {
        body = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        // not JSON (an export): shown as it came
      }
      const shown = ['content-type', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after']
        .map((h) => [h, res.headers.get(h)] as const)
        .filter(([, v]) => v !== null)
        .map(([h, v]) => `${h}: ${v}`)
        .join('\n');
      setAnswer({ status: res.status, headers: shown, body: body.length > MAX_SHOWN_CHARS ? `${body.slice(0, MAX_SHOWN_CHARS)}\n… (cut)` : body });
    } catch (e) {
      setProblem(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="card" style={{ marginTop: 8 }}>
      <h3 className="subheading">Try it</h3>
      {params.length > 0 && (
        <div className="form-grid">
          {params.map((p) => (
            <label key={`${p.in}:${p.name}`} className="field">
              <span>
                {p.name} <span className="muted small">({p.in}{p.required ? ', required' : ''})</span>
              </span>
              <input value={values[p.name] ?? ''} onChange={(e) => setValues({ ...values, [p.name]: e.target.value })} />
            </label>
          ))}
        </div>
      )}
      <div className="form-actions">
        <button type="button" className="btn btn-primary btn-sm" disabled={busy || !('url' in target) || streaming} onClick={() => void send()}>
          {busy ? 'Sending…' : `GET ${'url' in target ? target.url : op.path}`}
        </button>
        {'missing' in target && <span className="muted small">fill in {target.missing.join(', ')}</span>}
        {streaming && <span className="muted small">a stream or a download: open it with curl or the CLI</span>}
      </div>
      {problem && <div className="alert alert-danger">{problem}</div>}
      {answer && (
        <pre className="config mono small" style={{ whiteSpace: 'pre-wrap', maxHeight: 480, overflow: 'auto' }}>
          {`HTTP ${answer.status}\n${answer.headers}\n\n${answer.body}`}
        </pre>
      )}
    </div>
  );
}
