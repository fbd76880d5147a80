//! Async functions as request handlers.
//!
//! Any `async fn` (or closure returning a future) whose arguments are extractors and whose
//! output implements [`IntoResponse`] is a [`Handler`]: up to 12 arguments, all but the
//! last implementing [`FromRequestParts`], the last implementing [`FromRequest`] (it may
//! consume the body).
//!
//! The function itself must be `Clone + Send + Sync + 'static` because the router is
//! shared by every worker, but the future it returns need not be `Send`: each worker runs
//! its own futures and never moves them. Holding an `Rc` or a `RefCell` borrow across an
//! `.await` is fine:
//!
//! ```
//! use std::rc::Rc;
//!
//! use hiver::routing::get;
//! use hiver::Router;
//!
//! async fn not_send() -> String {
//!     let shared = Rc::new(String::from("thread-local"));
//!     std::future::ready(()).await; // the Rc lives across this await
//!     shared.to_string()
//! }
//!
//! let app: Router = Router::new().route("/", get(not_send));
//! # let _ = app;
//! ```

use std::future::Future;
use std::pin::Pin;

use crate::extract::{FromRequest, FromRequestParts};
use crate::response::IntoResponse;
use crate::routing::Route;
use crate::routing::route::Endpoint;
use crate::{Request, Response};

/// A boxed, non-`Send` future of a response: what every handler returns once erased.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Response> + 'static>>;

/// An async function usable as a request handler; see the [module docs](self).
///
/// `T` lists the extractor types (it only exists to tell implementations apart) and `S` is
/// the router's state type.
pub trait Handler<T, S>: Clone + Send + Sync + Sized + 'static {
    /// The future the handler returns.
    type Future: Future<Output = Response> + 'static;

    /// Runs the extractors on `req`, then the handler.
    fn call(self, req: Request, state: S) -> Self::Future;

    /// [`call`](Handler::call) with the future boxed, as the router stores it. The
    /// built-in handlers' futures are boxed already and are returned as they are.
    fn call_boxed(self, req: Request, state: S) -> HandlerFuture {
        Box::pin(self.call(req, state))
    }
}

pub(crate) fn into_endpoint<H, T, S>(handler: H) -> Endpoint<S>
where
    H: Handler<T, S>,
    T: 'static,
    S: Clone + Send + Sync + 'static,
{
    Endpoint::pending(move |state: &S| {
        let (handler, state) = (handler.clone(), state.clone());
        Route::from_boxed(move |req| handler.clone().call_boxed(req, state.clone()))
    })
}

impl<F, Fut, Res, S> Handler<((),), S> for F
where
    F: FnOnce() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Res> + 'static,
    Res: IntoResponse,
{
    type Future = HandlerFuture;

    fn call(self, req: Request, _state: S) -> Self::Future {
        crate::extract::recycle_parts(req.into_parts().0);
        Box::pin(async move { self().await.into_response() })
    }

    fn call_boxed(self, req: Request, state: S) -> HandlerFuture {
        self.call(req, state)
    }
}

macro_rules! impl_handler {
    ([$($ty:ident),*], $last:ident) => {
        #[allow(non_snake_case, unused_mut)]
        impl<F, Fut, S, Res, M, $($ty,)* $last> Handler<(M, $($ty,)* $last,), S> for F
        where
            F: FnOnce($($ty,)* $last,) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = Res> + 'static,
            Res: IntoResponse,
            S: Send + Sync + 'static,
            M: 'static,
            $( $ty: FromRequestParts<S> + 'static, )*
            $last: FromRequest<S, M> + 'static,
        {
            type Future = HandlerFuture;

            fn call(self, req: Request, state: S) -> Self::Future {
                Box::pin(async move {
                    let (mut parts, body) = req.into_parts();
                    $(
                        let $ty = match $ty::from_request_parts(&mut parts, &state).await {
                            Ok(value) => value,
                            Err(rejection) => return rejection.into_response(),
                        };
                    )*
                    let req = Request::from_parts(parts, body);
                    let $last = match $last::from_request(req, &state).await {
                        Ok(value) => value,
                        Err(rejection) => return rejection.into_response(),
                    };
                    self($($ty,)* $last,).await.into_response()
                })
            }

            fn call_boxed(self, req: Request, state: S) -> HandlerFuture {
                self.call(req, state)
            }
        }
    };
}

impl_handler!([], T1);
impl_handler!([T1], T2);
impl_handler!([T1, T2], T3);
impl_handler!([T1, T2, T3], T4);
impl_handler!([T1, T2, T3, T4], T5);
impl_handler!([T1, T2, T3, T4, T5], T6);
impl_handler!([T1, T2, T3, T4, T5, T6], T7);
impl_handler!([T1, T2, T3, T4, T5, T6, T7], T8);
impl_handler!([T1, T2, T3, T4, T5, T6, T7, T8], T9);
impl_handler!([T1, T2, T3, T4, T5, T6, T7, T8, T9], T10);
impl_handler!([T1, T2, T3, T4, T5, T6, T7, T8, T9, T10], T11);
impl_handler!([T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11], T12);
