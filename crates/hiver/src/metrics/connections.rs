//! `hiver_open_connections{worker}`: each worker's open connections, read at scrape time.
//!
//! The workers already keep the count (one atomic store per accept and per close), so
//! nothing is recorded per request here: the collector asks the server handle on every
//! scrape.

use std::fmt;
use std::sync::{PoisonError, RwLock};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::gauge::ConstGauge;

use crate::ServerHandle;

const NAME: &str = "hiver_open_connections";
const HELP: &str = "Connections open on each worker, read at scrape time";

/// Registered once per registry; reports the server that `record_server` saw last.
#[derive(Debug, Default)]
pub(super) struct OpenConnections {
    /// Written by `record_server` (start-up), read by every scrape. `None` until a server
    /// is recorded: then the metric is absent rather than a misleading 0.
    server: RwLock<Option<ServerHandle>>,
}

impl OpenConnections {
    pub(super) fn watch(&self, handle: &ServerHandle) {
        // Only ever replaced whole, so a poisoned lock still holds a usable value.
        let mut server = self.server.write().unwrap_or_else(PoisonError::into_inner);
        *server = Some(handle.clone());
    }

    fn counts(&self) -> Option<Vec<usize>> {
        let server = self.server.read().unwrap_or_else(PoisonError::into_inner);
        server.as_ref().map(ServerHandle::open_connections)
    }
}

impl Collector for OpenConnections {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let Some(counts) = self.counts() else {
            return Ok(());
        };
        let gauge_type = ConstGauge::new(0usize).metric_type();
        let mut family = encoder.encode_descriptor(NAME, HELP, None, gauge_type)?;
        for (worker, open) in counts.into_iter().enumerate() {
            let labels = [("worker", worker)];
            ConstGauge::new(open).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use prometheus_client::registry::Registry;

    use super::*;

    #[test]
    fn absent_until_a_server_is_recorded() {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Arc::new(OpenConnections::default())));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap(); // no labels fail
        assert!(!text.contains(NAME), "{text}");
    }
}
