//! The demo schema: `users` (primary key lookups) and `orders` (the
//! `user_id = ? AND status = ?` query that scans the whole table until the
//! composite index exists). Created only when missing, with set-based SQL
//! (`generate_series`), deterministically: the same sizes give the same
//! rows. User `u` has the orders whose id is `u` modulo the user count, so
//! they are spread over the whole table (a scan must read all of it; an
//! index lookup jumps to each), and their statuses cycle through the five.

use tokio_postgres::Client;

pub const ORDERS_INDEX: &str = "orders_user_id_status_idx";

/// Creates and fills the tables when `users` does not exist yet; returns
/// whether the orders index exists.
pub async fn prepare(
    client: &Client,
    users: u64,
    orders: u64,
) -> Result<bool, tokio_postgres::Error> {
    let exists: bool = client
        .query_one("SELECT to_regclass('users') IS NOT NULL", &[])
        .await?
        .get(0);
    if !exists {
        let users = i64::try_from(users.max(1)).unwrap_or(i64::MAX);
        let orders = i64::try_from(orders).unwrap_or(i64::MAX);
        client
            .batch_execute(
                "BEGIN;
                 CREATE TABLE users (
                     id bigint PRIMARY KEY,
                     name text NOT NULL,
                     email text NOT NULL,
                     created_at timestamptz NOT NULL
                 );
                 CREATE TABLE orders (
                     id bigint NOT NULL,
                     user_id bigint NOT NULL,
                     status text NOT NULL,
                     amount_cents bigint NOT NULL,
                     created_at timestamptz NOT NULL
                 );",
            )
            .await?;
        client
            .execute(
                "INSERT INTO users
                 SELECT i, 'user-' || i, 'user' || i || '@example.test',
                        timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second'
                 FROM generate_series(1, $1::bigint) AS i",
                &[&users],
            )
            .await?;
        client
            .execute(
                "INSERT INTO orders
                 SELECT i, 1 + i % $1::bigint,
                        (ARRAY['pending','paid','shipped','delivered','cancelled'])
                            [(1 + (i / $1::bigint + i) % 5)::int],
                        (i * 7919) % 100000,
                        timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second'
                 FROM generate_series(1, $2::bigint) AS i",
                &[&users, &orders],
            )
            .await?;
        // The primary key after the rows: one sort instead of an index
        // maintained row by row.
        client
            .batch_execute(
                "ALTER TABLE orders ADD PRIMARY KEY (id);
                 COMMIT;
                 ANALYZE users;
                 ANALYZE orders;",
            )
            .await?;
    }
    orders_index_exists(client).await
}

pub async fn orders_index_exists(client: &Client) -> Result<bool, tokio_postgres::Error> {
    let row = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&ORDERS_INDEX])
        .await?;
    Ok(row.get(0))
}

/// Builds or drops the composite index; returns when it is done.
pub async fn set_orders_index(client: &Client, on: bool) -> Result<(), tokio_postgres::Error> {
    let sql = if on {
        format!("CREATE INDEX IF NOT EXISTS {ORDERS_INDEX} ON orders (user_id, status)")
    } else {
        format!("DROP INDEX IF EXISTS {ORDERS_INDEX}")
    };
    client.batch_execute(&sql).await
}
