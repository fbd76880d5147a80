//! One page render on behalf of the cache: render (whole or streamed), then the document.
//! A render that streams goes to the request waiting for it piece by piece (see
//! [`stream`](super::stream)) and is joined into the page as it goes.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use futures_core::Stream;
use http::StatusCode;
use serde_json::Value;

use super::finish::PageSpec;
use super::page_failure::PageFailure;
use super::policy::fill_tag;
use super::stream::{Feed, Handoff};
use super::{Inner, PageRoute};
use crate::cache::{CacheKey, Compression, Destination, Outcome, Page};
use crate::document::{HydrationState, render_status};
use crate::pool::{RenderStream, Started};
use crate::{RenderResult, Rendered};

/// What one render needs, shared by the cache's render closure (which may run again for
/// a background refresh).
pub(super) struct RenderJob {
    inner: Arc<Inner>,
    url: String,
    /// The page's settings for the cache; [`render`](Self::render) narrows the compression
    /// for a bypass.
    spec: PageSpec,
    /// Where a streamed page goes to the request waiting for it; a later render of this
    /// job (a background refresh) finds it closed and has nobody to stream to.
    pub(super) handoff: Handoff,
}

impl RenderJob {
    pub(super) fn new(
        inner: &Arc<Inner>,
        route: &PageRoute,
        params: &[(String, String)],
        key: &CacheKey,
        props: Arc<Value>,
    ) -> Self {
        let tags = route.policy.tags.iter().map(|t| fill_tag(t, params));
        RenderJob {
            inner: inner.clone(),
            url: render_url(key),
            spec: PageSpec {
                template: inner.template.clone(),
                props,
                tags: tags.collect(),
                compression: inner.compression,
            },
            handoff: Handoff::default(),
        }
    }

    /// The render the cache calls, for the `destination` it decided on: a page for one
    /// request only gets just the coding it will be sent in, and a request it streams to is
    /// told it bypassed the cache.
    pub(super) fn render(
        self: &Rc<Self>,
        destination: Destination<'_>,
    ) -> impl Future<Output = Result<Page, PageFailure>> + use<> {
        let (compression, outcome) = match destination {
            Destination::Cache => (self.spec.compression, Outcome::Miss),
            Destination::Bypass(request) => {
                (self.spec.compression.for_request(request), Outcome::Bypass)
            }
        };
        let spec = PageSpec {
            compression,
            ..self.spec.clone()
        };
        let job = Rc::clone(self);
        async move { job.run(spec, outcome).await }
    }

    /// Render, then the document (on a finisher thread). A render that streams goes to the
    /// waiting request piece by piece and is joined into the page as it goes.
    async fn run(&self, mut spec: PageSpec, outcome: Outcome) -> Result<Page, PageFailure> {
        let pending = self
            .inner
            .pool
            .submit_stream(self.url.as_str(), &self.spec.props)
            .map_err(PageFailure::Render)?;
        let rendered = match pending.await.map_err(PageFailure::Render)? {
            Started::Whole(rendered) => rendered,
            Started::Stream(stream) => {
                let status = render_status(stream.status()).map_err(PageFailure::Document)?;
                let feed = self.hand_off(&spec, &stream, status, outcome);
                if outcome == Outcome::Bypass && feed.is_some() {
                    // The request got the page as it streamed; nobody reads this copy.
                    spec.compression = Compression::none();
                }
                self.pump(&spec, stream, feed).await?
            }
        };
        self.inner.finisher.finish(spec, rendered).await
    }

    /// Offers the waiting request (if any) a page body that starts with the document's
    /// opening; the [`Feed`] of that body when the request took it.
    fn hand_off(
        &self,
        spec: &PageSpec,
        stream: &RenderStream,
        status: StatusCode,
        outcome: Outcome,
    ) -> Option<Feed> {
        if !self.handoff.is_open() {
            return None; // a background refresh: nobody to stream to
        }
        let opening = spec.template.opening(stream.head());
        let (feed, streaming) = Feed::open(opening, status, outcome);
        self.handoff.offer(streaming).ok().map(|()| feed)
    }

    /// Reads a streamed render to its end: each chunk goes to `feed` (when a request
    /// waits for it) and into the page. An error after the document's opening went out ends
    /// the client's page with the document's closing, so the client finishes rendering
    /// with its state, and is logged; the page is not cached.
    async fn pump(
        &self,
        spec: &PageSpec,
        mut stream: RenderStream,
        feed: Option<Feed>,
    ) -> Result<Rendered, PageFailure> {
        let mut html = Vec::new();
        let failure = loop {
            match std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
                Some(Ok(chunk)) => {
                    html.extend_from_slice(&chunk);
                    if let Some(feed) = &feed {
                        feed.send(chunk).await;
                    }
                }
                Some(Err(error)) => break Some(error),
                None => break None,
            }
        };
        let to_client = feed.is_some();
        if let Some(feed) = feed {
            let state =
                HydrationState::new(&*spec.props).unwrap_or_else(|_| HydrationState::null());
            feed.close(spec.template.closing(&state)).await;
        }
        if let Some(error) = failure {
            tracing::error!(
                url = self.url.as_str(),
                %error,
                js_stack = error.js_stack().unwrap_or(""),
                to_client,
                "streamed render failed part-way; not cached (a client receiving it got the \
                 document's closing, and renders the rest itself)"
            );
            return Err(PageFailure::Render(error));
        }
        let html = String::from_utf8(html)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        let (head, status) = (stream.head().to_owned(), stream.status());
        Ok(Rendered {
            result: RenderResult { html, head, status },
            generation: stream.generation(),
        })
    }
}

/// The URL the bundle renders: the normalised path and the declared query only, so a
/// render can depend on nothing the cache key leaves out.
fn render_url(key: &CacheKey) -> String {
    if key.query().is_empty() {
        key.path().to_owned()
    } else {
        format!("{}?{}", key.path(), key.query())
    }
}
