//! Each worker's database: its own `hiver_pg::Client` (one connection, pipelined), its
//! statements and its copy of the World table for `/cached-queries`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use futures_util::future::try_join_all;
use hiver_pg::types::ToParam;
use hiver_pg::{Client, Error, Row};
use serde::Serialize;

use crate::Settings;
use crate::fortunes::Fortune;

const SELECT_WORLD: &str = "SELECT id, randomnumber FROM world WHERE id = $1";
const SELECT_ALL_WORLDS: &str = "SELECT id, randomnumber FROM world";
const SELECT_FORTUNES: &str = "SELECT id, message FROM fortune";
/// Ids run 1..=10,000 (create-postgres.sql).
const WORLDS: i32 = 10_000;

/// A row of the World table, as TechEmpower's JSON spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct World {
    /// 1..=10,000
    pub id: i32,
    /// 1..=10,000
    #[serde(rename = "randomNumber")]
    pub random_number: i32,
}

/// One worker's connections and cache.
pub struct Db {
    /// The worker's connections (`Settings::connections` of them, all opened at once); each
    /// request takes the next in turn and pipelines its queries on it.
    clients: Vec<Client>,
    /// Which client the next request takes.
    next: Cell<usize>,
    /// `randomnumber` by `id - 1`, loaded on the first `/cached-queries` of this worker.
    cache: RefCell<Option<Rc<[i32]>>>,
}

thread_local! {
    /// This worker thread's database, for the settings it was made for.
    static DB: RefCell<Option<(Arc<Settings>, Rc<Db>)>> = const { RefCell::new(None) };
}

/// This worker's database (created on first use: the clients connect in the background,
/// and the first queries wait for them).
pub fn worker(settings: &Arc<Settings>) -> Rc<Db> {
    DB.with_borrow_mut(|slot| match slot {
        Some((s, db)) if Arc::ptr_eq(s, settings) => db.clone(),
        _ => {
            let clients = (0..settings.connections.max(1))
                .map(|_| Client::new(settings.database.clone()))
                .collect();
            let db = Rc::new(Db {
                clients,
                next: Cell::new(0),
                cache: RefCell::new(None),
            });
            *slot = Some((settings.clone(), db.clone()));
            db
        }
    })
}

fn random_id() -> i32 {
    fastrand::i32(1..=WORLDS)
}

fn world(row: &Row) -> Result<World, Error> {
    Ok(World {
        id: row.try_get(0)?,
        random_number: row.try_get(1)?,
    })
}

/// `UPDATE … FROM (VALUES …)` for `n` rows: parameters are id, number, id, number, …
fn update_sql(n: usize) -> String {
    let mut sql = String::from("UPDATE world SET randomnumber = v.r FROM (VALUES ");
    for i in 0..n {
        let sep = if i == 0 { "" } else { ", " };
        sql.push_str(&format!(
            "{sep}(${}::int4, ${}::int4)",
            2 * i + 1,
            2 * i + 2
        ));
    }
    sql.push_str(") AS v (id, r) WHERE world.id = v.id");
    sql
}

impl Db {
    /// The next client in turn.
    fn client(&self) -> &Client {
        let i = self.next.get();
        self.next.set((i + 1) % self.clients.len());
        &self.clients[i]
    }

    /// One random World row.
    pub async fn world(&self) -> Result<World, Error> {
        let client = self.client();
        let stmt = client.prepare_cached(SELECT_WORLD).await?;
        world(&client.query_one(&stmt, &[&random_id()]).await?)
    }

    /// `n` random World rows, one query each, all in flight together.
    pub async fn worlds(&self, n: usize) -> Result<Vec<World>, Error> {
        let client = self.client();
        let stmt = client.prepare_cached(SELECT_WORLD).await?;
        let rows = (0..n).map(|_| client.query_one(&stmt, &[&random_id()]));
        try_join_all(rows).await?.iter().map(world).collect()
    }

    /// Every Fortune row.
    pub async fn fortunes(&self) -> Result<Vec<Fortune>, Error> {
        let client = self.client();
        let stmt = client.prepare_cached(SELECT_FORTUNES).await?;
        let rows = client.query(&stmt, &[]).await?;
        rows.iter()
            .map(|r| {
                Ok(Fortune {
                    id: r.try_get(0)?,
                    message: r.try_get(1)?,
                })
            })
            .collect()
    }

    /// `n` random rows read one by one, each given a new random number, written back in
    /// one `UPDATE` (ids in order, so concurrent updates take their row locks in the same
    /// order and cannot deadlock).
    pub async fn update(&self, n: usize) -> Result<Vec<World>, Error> {
        let mut worlds = self.worlds(n).await?;
        for w in &mut worlds {
            w.random_number = random_id();
        }
        let mut sorted = worlds.clone();
        sorted.sort_unstable_by_key(|w| w.id);
        let values: Vec<i32> = sorted
            .iter()
            .flat_map(|w| [w.id, w.random_number])
            .collect();
        let params: Vec<&dyn ToParam> = values.iter().map(|v| v as &dyn ToParam).collect();
        let client = self.client();
        let stmt = client.prepare_cached(&update_sql(n)).await?;
        client.execute(&stmt, &params).await?;
        Ok(worlds)
    }

    /// `n` random World rows from this worker's copy of the table (read once).
    pub async fn cached(&self, n: usize) -> Result<Vec<World>, Error> {
        let cache = self.cache.borrow().clone();
        let cache = match cache {
            Some(c) => c,
            None => {
                let loaded = self.load_cache().await?;
                *self.cache.borrow_mut() = Some(loaded.clone());
                loaded
            }
        };
        Ok((0..n)
            .map(|_| {
                let id = random_id();
                World {
                    id,
                    random_number: cache[(id - 1) as usize],
                }
            })
            .collect())
    }

    async fn load_cache(&self) -> Result<Rc<[i32]>, Error> {
        let client = self.client();
        let stmt = client.prepare_cached(SELECT_ALL_WORLDS).await?;
        let mut numbers = vec![0; WORLDS as usize];
        for row in client.query(&stmt, &[]).await? {
            let w = world(&row)?;
            if let Some(slot) = usize::try_from(w.id - 1)
                .ok()
                .and_then(|i| numbers.get_mut(i))
            {
                *slot = w.random_number;
            }
        }
        Ok(numbers.into())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_update_statement_numbers_its_parameters_in_pairs() {
        assert_eq!(
            super::update_sql(2),
            "UPDATE world SET randomnumber = v.r FROM (VALUES ($1::int4, $2::int4), ($3::int4, $4::int4)) \
             AS v (id, r) WHERE world.id = v.id"
        );
    }
}
