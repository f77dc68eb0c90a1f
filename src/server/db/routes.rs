//! `GET /db/user/{id}`, `GET /db/orders?user_id=N&status=S` and
//! `GET /db/sleep?ms=N`: each takes a connection from the pool within
//! `db_acquire_timeout_ms` and runs one query. Every failure is a fast 503
//! with `Retry-After`: an acquire timeout (the pool is exhausted), a
//! database that cannot be reached, or a query that failed, counted by
//! kind. Without `--database` the routes answer 404: the resource does
//! not exist on this server, and a 503 would read as an overload.

use std::time::Duration;

use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::observe::ErrorKind;
use super::{Acquire, Db, error_text};
use crate::server::body::ResponseBody;
use crate::server::knobs::LiveKnobs;
use crate::server::routes::{Matched, Route, json_response, query_u64, query_value, text_response};

/// Longest `/db/sleep`: the statement timeout may cut it shorter.
const MAX_SLEEP_MS: u64 = 60_000;

pub(crate) async fn handle(
    db: Option<&Db>,
    knobs: &LiveKnobs,
    matched: Matched,
    query: Option<&str>,
) -> Response<ResponseBody> {
    let Some(db) = db else {
        return text_response(
            StatusCode::NOT_FOUND,
            "no database: start `loadtop serve --database embedded` (or --database postgres://...)\n",
        );
    };
    let request = match parse(matched, query) {
        Ok(request) => request,
        Err(message) => return text_response(StatusCode::BAD_REQUEST, message),
    };
    let timeout = Duration::from_millis(LiveKnobs::get(&knobs.db_acquire_timeout_ms));
    let client = match db.acquire(timeout).await {
        Ok(client) => client,
        Err(Acquire::Timeout) => {
            return unavailable(json!({
                "error": "pool exhausted: no connection within db_acquire_timeout_ms",
                "kind": "acquire_timeout",
            }));
        }
        Err(Acquire::Failed(reason)) => {
            return unavailable(json!({ "error": reason, "kind": ErrorKind::Connect.name() }));
        }
    };
    let result = match request {
        DbRequest::User(id) => {
            let row = client
                .query_opt(
                    "SELECT id, name, email, created_at::text FROM users WHERE id = $1",
                    &[&id],
                )
                .await;
            row.map(|row| match row {
                Some(row) => (
                    StatusCode::OK,
                    json!({
                        "id": row.get::<_, i64>(0),
                        "name": row.get::<_, String>(1),
                        "email": row.get::<_, String>(2),
                        "created_at": row.get::<_, String>(3),
                    }),
                ),
                None => (StatusCode::NOT_FOUND, json!({ "error": "no such user" })),
            })
        }
        DbRequest::Orders { user_id, status } => client
            .query(
                "SELECT id, status, amount_cents, created_at::text FROM orders \
                 WHERE user_id = $1 AND status = $2",
                &[&user_id, &status],
            )
            .await
            .map(|rows| {
                let orders: Vec<Value> = rows
                    .iter()
                    .map(|row| {
                        json!({
                            "id": row.get::<_, i64>(0),
                            "status": row.get::<_, String>(1),
                            "amount_cents": row.get::<_, i64>(2),
                            "created_at": row.get::<_, String>(3),
                        })
                    })
                    .collect();
                (
                    StatusCode::OK,
                    json!({ "user_id": user_id, "status": status, "orders": orders }),
                )
            }),
        DbRequest::Sleep(ms) => {
            #[allow(clippy::cast_precision_loss)] // ms ≤ 60000
            let seconds = ms as f64 / 1000.0;
            client
                .execute("SELECT pg_sleep($1)", &[&seconds])
                .await
                .map(|_| (StatusCode::OK, json!({ "slept_ms": ms })))
        }
    };
    drop(client);
    match result {
        Ok((status, body)) => json_response(status, body.to_string()),
        Err(error) => {
            let kind = ErrorKind::of(&error);
            db.observer.count_error(kind);
            unavailable(json!({ "error": error_text(&error), "kind": kind.name() }))
        }
    }
}

enum DbRequest {
    User(i64),
    Orders { user_id: i64, status: String },
    Sleep(u64),
}

fn parse(matched: Matched, query: Option<&str>) -> Result<DbRequest, &'static str> {
    match matched.route {
        Route::DbUser => match matched.user_id {
            Some(Ok(id)) => i64::try_from(id)
                .map(DbRequest::User)
                .map_err(|_| "user id out of range\n"),
            _ => Err("user id must be an unsigned integer\n"),
        },
        Route::DbOrders => {
            let user_id = match query_u64(query, "user_id") {
                Ok(Some(id)) => i64::try_from(id).map_err(|_| "user_id out of range\n")?,
                _ => return Err("user_id=N (an unsigned integer) is required\n"),
            };
            let status = query_word(query, "status")?.unwrap_or("pending");
            Ok(DbRequest::Orders {
                user_id,
                status: status.to_string(),
            })
        }
        _ => match query_u64(query, "ms") {
            Ok(Some(ms)) if ms <= MAX_SLEEP_MS => Ok(DbRequest::Sleep(ms)),
            Ok(None) => Ok(DbRequest::Sleep(100)),
            _ => Err("ms must be 0..=60000\n"),
        },
    }
}

/// `?key=word` of lowercase letters and `_` (a status name), at most 32.
fn query_word<'q>(query: Option<&'q str>, key: &str) -> Result<Option<&'q str>, &'static str> {
    match query_value(query, key) {
        None => Ok(None),
        Some(word)
            if !word.is_empty()
                && word.len() <= 32
                && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') =>
        {
            Ok(Some(word))
        }
        Some(_) => Err("status must be a word of lowercase letters (e.g. pending)\n"),
    }
}

fn unavailable(body: Value) -> Response<ResponseBody> {
    let mut response = json_response(StatusCode::SERVICE_UNAVAILABLE, body.to_string());
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_are_checked() {
        assert_eq!(
            query_word(Some("user_id=1&status=paid"), "status"),
            Ok(Some("paid"))
        );
        assert_eq!(query_word(Some("user_id=1"), "status"), Ok(None));
        assert!(query_word(Some("status=x%27"), "status").is_err());
        assert!(query_word(Some("status="), "status").is_err());
    }
}
