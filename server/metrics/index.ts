export { getMetrics, clearMetricsCache, METRICS_CACHE_MS } from './get-metrics';
export { METRICS, METRIC_NAMES, SOURCE_LABELS, QUEUE_STATES } from './definitions';
export { loadMetricFacts, type MetricFacts } from './load-metric-facts';
export { renderMetrics, type RenderedMetrics } from './render-metrics';
export { closeQueueCounts } from './queue-counts';
