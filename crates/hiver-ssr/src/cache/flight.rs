//! Single flight: the first miss on a key renders, every concurrent miss on that key (on any
//! worker) awaits the same result. Runtime-agnostic: waiters park on plain `Waker`s.

use std::collections::HashMap;
use std::error::Error;
use std::future::Future;
use std::hash::BuildHasherDefault;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::entry::Entry;
use super::key::CacheKey;
use super::lru::KeyHasher;

/// A render failure, shared by the leader and every waiter.
pub(crate) type SharedError = Arc<dyn Error + Send + Sync>;

/// How a flight ended.
#[derive(Clone)]
pub(crate) enum Landing {
    Ready(Arc<Entry>),
    Failed(SharedError),
    /// The leader was dropped before finishing (its request was cancelled): a waiter retries.
    Abandoned,
}

#[derive(Default)]
pub(crate) struct Flight {
    state: Mutex<FlightState>,
}

#[derive(Default)]
struct FlightState {
    landing: Option<Landing>,
    /// One slot per waiter, so repeated polls replace rather than pile up wakers.
    wakers: Vec<Option<Waker>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while these locks are held; recover the data if something ever does.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The flights in progress, shared by every worker.
#[derive(Default)]
pub(crate) struct Flights {
    map: Mutex<HashMap<CacheKey, Arc<Flight>, BuildHasherDefault<KeyHasher>>>,
}

/// Whether this request renders or waits.
pub(crate) enum Role {
    Lead(FlightGuard),
    Join(Wait),
}

impl Flights {
    pub(crate) fn join_or_lead(self: &Arc<Self>, key: &CacheKey) -> Role {
        let mut map = lock(&self.map);
        if let Some(flight) = map.get(key) {
            return Role::Join(Wait {
                flight: flight.clone(),
                slot: None,
            });
        }
        let flight = Arc::new(Flight::default());
        map.insert(key.clone(), flight.clone());
        Role::Lead(self.guard(key, flight))
    }

    /// Leads only if nobody else is rendering `key` (background refresh).
    pub(crate) fn try_lead(self: &Arc<Self>, key: &CacheKey) -> Option<FlightGuard> {
        let mut map = lock(&self.map);
        if map.contains_key(key) {
            return None;
        }
        let flight = Arc::new(Flight::default());
        map.insert(key.clone(), flight.clone());
        Some(self.guard(key, flight))
    }

    /// Keys being rendered right now.
    #[cfg(test)]
    pub(crate) fn in_progress(&self) -> usize {
        lock(&self.map).len()
    }

    fn guard(self: &Arc<Self>, key: &CacheKey, flight: Arc<Flight>) -> FlightGuard {
        FlightGuard {
            flights: self.clone(),
            key: key.clone(),
            flight,
            landed: false,
        }
    }
}

/// Held by the one request rendering a key. Landing (or dropping) it releases the waiters.
pub(crate) struct FlightGuard {
    flights: Arc<Flights>,
    key: CacheKey,
    flight: Arc<Flight>,
    landed: bool,
}

impl FlightGuard {
    pub(crate) fn land(mut self, landing: Landing) {
        self.land_inner(landing);
    }

    fn land_inner(&mut self, landing: Landing) {
        self.landed = true;
        // Unlist first: a request arriving from now on must not receive this (possibly
        // failed) result; it finds the stored page in L2 or renders anew.
        {
            let mut map = lock(&self.flights.map);
            if map
                .get(&self.key)
                .is_some_and(|f| Arc::ptr_eq(f, &self.flight))
            {
                map.remove(&self.key);
            }
        }
        let wakers = {
            let mut state = lock(&self.flight.state);
            state.landing = Some(landing);
            std::mem::take(&mut state.wakers)
        };
        wakers.into_iter().flatten().for_each(Waker::wake);
    }
}

impl Drop for FlightGuard {
    fn drop(&mut self) {
        if !self.landed {
            self.land_inner(Landing::Abandoned);
        }
    }
}

/// Resolves when the flight lands.
pub(crate) struct Wait {
    flight: Arc<Flight>,
    slot: Option<usize>,
}

impl Future for Wait {
    type Output = Landing;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Landing> {
        let this = self.get_mut();
        let mut state = lock(&this.flight.state);
        if let Some(landing) = &state.landing {
            return Poll::Ready(landing.clone());
        }
        let waker = Some(cx.waker().clone());
        match this.slot {
            Some(i) => state.wakers[i] = waker,
            None => {
                state.wakers.push(waker);
                this.slot = Some(state.wakers.len() - 1);
            }
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::block_on;
    use http::Method;

    fn key() -> CacheKey {
        CacheKey::builder(&Method::GET, "/k").build().unwrap()
    }

    #[test]
    fn second_caller_joins_and_sees_landing() {
        let flights = Arc::new(Flights::default());
        let Role::Lead(guard) = flights.join_or_lead(&key()) else {
            panic!("first leads")
        };
        let Role::Join(wait) = flights.join_or_lead(&key()) else {
            panic!("second joins")
        };
        assert!(flights.try_lead(&key()).is_none());
        let waiter = std::thread::spawn(move || block_on(wait));
        std::thread::sleep(std::time::Duration::from_millis(20));
        guard.land(Landing::Failed(Arc::new(std::fmt::Error)));
        assert!(matches!(waiter.join().unwrap(), Landing::Failed(_)));
        assert_eq!(flights.in_progress(), 0);
    }

    #[test]
    fn dropped_leader_abandons() {
        let flights = Arc::new(Flights::default());
        let Role::Lead(guard) = flights.join_or_lead(&key()) else {
            panic!("first leads")
        };
        let Role::Join(wait) = flights.join_or_lead(&key()) else {
            panic!("second joins")
        };
        drop(guard);
        assert!(matches!(block_on(wait), Landing::Abandoned));
        assert!(matches!(flights.join_or_lead(&key()), Role::Lead(_)));
    }
}
