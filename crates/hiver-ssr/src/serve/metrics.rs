//! SSR metrics: a combined snapshot readable from Rust, and a Prometheus collector that
//! reads the same snapshot at each scrape.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Weak};

use hiver::metrics::Metrics;
use hiver::metrics::prometheus_client::collector::Collector;
use hiver::metrics::prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use hiver::metrics::prometheus_client::metrics::MetricType;
use hiver::metrics::prometheus_client::metrics::counter::ConstCounter;
use hiver::metrics::prometheus_client::metrics::gauge::ConstGauge;

use super::{Inner, Ssr};
use crate::cache::CacheMetrics;
use crate::pool::{LATENCY_BUCKETS, MetricsSnapshot};

/// The cache's and the render pool's counters, and the handler's own, at one moment.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SsrMetrics {
    /// Page cache counters (hits per level, misses, renders, evictions, bytes, ...).
    pub cache: CacheMetrics,
    /// Render pool counters (renders, latency, queue depth, timeouts, JS errors, ...).
    pub pool: MetricsSnapshot,
    /// Client-side shells served after a failed render.
    pub shells: u64,
    /// Pages sent as their render streamed them (cache misses and bypasses whose bundle
    /// returned a stream).
    pub streamed: u64,
    /// `304 Not Modified` answers (pages and assets).
    pub not_modified: u64,
    /// The bundle generation being served.
    pub generation: u64,
}

impl SsrMetrics {
    fn read(inner: &Inner) -> Self {
        SsrMetrics {
            cache: inner.cache.metrics(),
            pool: inner.pool.metrics(),
            shells: inner.counters.shells.load(Relaxed),
            streamed: inner.counters.streamed.load(Relaxed),
            not_modified: inner.counters.not_modified.load(Relaxed),
            generation: inner.pool.generation(),
        }
    }
}

impl Ssr {
    /// The current counters.
    pub fn metrics(&self) -> SsrMetrics {
        SsrMetrics::read(&self.inner)
    }

    /// Exposes the SSR metrics in `metrics` (read at each scrape, so they cost nothing
    /// between scrapes): `hiver_ssr_cache_lookups_total{result}` (`hit_l1`, `hit_l2`,
    /// `stale`, `miss`, `coalesced`, `bypass`, `stale_on_error`), `hiver_ssr_cache_hit_ratio`,
    /// `hiver_ssr_cache_bytes`, `hiver_ssr_cache_entries`, `hiver_ssr_cache_evictions_total`,
    /// `hiver_ssr_cache_expirations_total`, `hiver_ssr_renders_total`,
    /// `hiver_ssr_render_errors_total{kind}` (`js`, `timeout`, `memory`, `stack`, `crash`,
    /// `cancelled`, `queue_full`), `hiver_ssr_render_duration_seconds` (histogram),
    /// `hiver_ssr_render_queue_depth`, `hiver_ssr_renders_in_flight`,
    /// `hiver_ssr_shells_total`, `hiver_ssr_streamed_pages_total`,
    /// `hiver_ssr_bundle_generation`.
    ///
    /// The collector holds the `Ssr` weakly: once every `Ssr` handle is gone it reports
    /// nothing.
    pub fn register_metrics(&self, metrics: &Metrics) {
        let collector = SsrCollector(Arc::downgrade(&self.inner));
        metrics.with_registry(|registry| registry.register_collector(Box::new(collector)));
    }
}

struct SsrCollector(Weak<Inner>);

impl std::fmt::Debug for SsrCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SsrCollector")
    }
}

type EncodeResult = Result<(), std::fmt::Error>;

impl Collector for SsrCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> EncodeResult {
        let Some(inner) = self.0.upgrade() else {
            return Ok(());
        };
        let m = SsrMetrics::read(&inner);
        let (c, p) = (&m.cache, &m.pool);
        let lookups = [
            ("hit_l1", c.hits_l1),
            ("hit_l2", c.hits_l2),
            ("stale", c.stale_served),
            ("miss", c.misses.saturating_sub(c.coalesced)),
            ("coalesced", c.coalesced),
            ("bypass", c.bypasses),
            ("stale_on_error", c.stale_on_error),
        ];
        labelled_counters(
            &mut encoder,
            "hiver_ssr_cache_lookups",
            "Page cache lookups by result",
            "result",
            &lookups,
        )?;
        gauge(
            &mut encoder,
            "hiver_ssr_cache_hit_ratio",
            "Share of cacheable lookups answered without a render",
            c.hit_rate(),
        )?;
        gauge(
            &mut encoder,
            "hiver_ssr_cache_bytes",
            "Bytes held by the shared page cache",
            c.bytes as f64,
        )?;
        gauge(
            &mut encoder,
            "hiver_ssr_cache_entries",
            "Pages held by the shared page cache",
            c.entries as f64,
        )?;
        counter(
            &mut encoder,
            "hiver_ssr_cache_evictions",
            "Pages evicted to stay within the byte bound",
            c.evictions,
        )?;
        counter(
            &mut encoder,
            "hiver_ssr_cache_expirations",
            "Pages dropped after their policy's windows",
            c.expirations,
        )?;
        counter(
            &mut encoder,
            "hiver_ssr_renders",
            "Renders that ran to an outcome",
            p.renders,
        )?;
        let errors = [
            ("js", p.js_errors),
            ("timeout", p.timeouts),
            ("memory", p.memory_limit_hits),
            ("stack", p.stack_overflows),
            ("crash", p.crashes),
            ("cancelled", p.cancelled),
            ("queue_full", p.queue_full_rejections),
        ];
        labelled_counters(
            &mut encoder,
            "hiver_ssr_render_errors",
            "Failed renders by kind",
            "kind",
            &errors,
        )?;
        latency(&mut encoder, p)?;
        gauge(
            &mut encoder,
            "hiver_ssr_render_queue_depth",
            "Renders waiting for a render thread",
            p.queue_depth as f64,
        )?;
        gauge(
            &mut encoder,
            "hiver_ssr_renders_in_flight",
            "Renders running now",
            p.in_flight as f64,
        )?;
        counter(
            &mut encoder,
            "hiver_ssr_shells",
            "Client-side shells served after a failed render",
            m.shells,
        )?;
        counter(
            &mut encoder,
            "hiver_ssr_streamed_pages",
            "Pages sent as their render streamed them",
            m.streamed,
        )?;
        gauge(
            &mut encoder,
            "hiver_ssr_bundle_generation",
            "The bundle generation being served",
            m.generation as f64,
        )
    }
}

fn counter(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> EncodeResult {
    let metric = ConstCounter::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: f64) -> EncodeResult {
    let metric = ConstGauge::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn labelled_counters(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    label: &'static str,
    values: &[(&'static str, u64)],
) -> EncodeResult {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (value_label, value) in values {
        let labels = [(label, *value_label)];
        ConstCounter::new(*value).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

fn latency(encoder: &mut DescriptorEncoder, pool: &MetricsSnapshot) -> EncodeResult {
    let histogram = &pool.latency;
    let bounds = LATENCY_BUCKETS
        .iter()
        .map(|d| d.as_secs_f64())
        .chain([f64::INFINITY]);
    let buckets: Vec<(f64, u64)> = bounds.zip(histogram.counts.iter().copied()).collect();
    let mut metric = encoder.encode_descriptor(
        "hiver_ssr_render_duration_seconds",
        "Time from a render thread taking a job to its outcome",
        None,
        MetricType::Histogram,
    )?;
    metric.encode_histogram::<NoLabelSet>(
        histogram.sum.as_secs_f64(),
        histogram.count(),
        &buckets,
        None,
    )
}
