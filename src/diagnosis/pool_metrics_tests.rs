use super::*;

fn pool(name: Option<&str>, max: u64, used: u64, idle: u64, pending: u64) -> ScrapedPool {
    ScrapedPool {
        name: name.map(str::to_string),
        max: Some(max),
        used: Some(used),
        idle: Some(idle),
        pending: Some(pending),
        timeouts: None,
    }
}

#[test]
fn reads_the_current_otel_names_with_exporter_labels() {
    let text = r#"# HELP db_client_connection_count The number of connections
# TYPE db_client_connection_count gauge
db_client_connection_count{otel_scope_name="io.opentelemetry.hikaricp-3.0",pool_name="orders",state="used"} 10
db_client_connection_count{otel_scope_name="io.opentelemetry.hikaricp-3.0",pool_name="orders",state="idle"} 0
db_client_connection_max{pool_name="orders"} 10.0
db_client_connection_pending_requests{pool_name="orders"} 37 1700000000000
db_client_connection_timeouts_total{pool_name="orders"} 4
http_server_request_duration_seconds_bucket{le="0.1"} 12
"#;
    let page = parse(text);
    assert_eq!(
        page.pools,
        [ScrapedPool {
            timeouts: Some(4),
            ..pool(Some("orders"), 10, 10, 0, 37)
        }]
    );
    assert!(page.malformed.is_empty(), "{:?}", page.malformed);
    assert_eq!(page.pools[0].pressure(), (true, 1.0));
    assert_eq!(page.pools[0].label(), "pool \"orders\"");
}

#[test]
fn reads_the_older_semconv_names_and_unit_suffixes() {
    let text = "db_client_connections_usage{pool_name=\"main\",state=\"used\"} 3\n\
                db_client_connections_usage{pool_name=\"main\",state=\"idle\"} 5\n\
                db_client_connections_max_connections{pool_name=\"main\"} 8\n\
                db_client_connections_pending_requests{pool_name=\"main\"} 0\n\
                db_client_connections_timeouts{pool_name=\"main\"} 2\n";
    let page = parse(text);
    assert_eq!(
        page.pools,
        [ScrapedPool {
            timeouts: Some(2),
            ..pool(Some("main"), 8, 3, 5, 0)
        }]
    );
    assert_eq!(page.pools[0].pressure(), (false, 3.0 / 8.0));
}

#[test]
fn reads_hikaricp_pools_by_their_pool_label() {
    let text = r#"# TYPE hikaricp_connections_active gauge
hikaricp_connections_active{pool="HikariPool-1",} 10.0
hikaricp_connections_active{pool="reports",} 1.0
hikaricp_connections_idle{pool="HikariPool-1",} 0.0
hikaricp_connections_idle{pool="reports",} 3.0
hikaricp_connections_pending{pool="HikariPool-1",} 12.0
hikaricp_connections_pending{pool="reports",} 0.0
hikaricp_connections_max{pool="HikariPool-1",} 10.0
hikaricp_connections_max{pool="reports",} 4.0
hikaricp_connections_min{pool="reports",} 4.0
hikaricp_connections_timeout_total{pool="HikariPool-1",} 7.0
"#;
    let page = parse(text);
    assert_eq!(
        page.pools,
        [
            ScrapedPool {
                timeouts: Some(7),
                ..pool(Some("HikariPool-1"), 10, 10, 0, 12)
            },
            pool(Some("reports"), 4, 1, 3, 0),
        ]
    );
    assert!(page.pools.iter().all(ScrapedPool::judgeable));
}

#[test]
fn a_pool_without_a_name_label_is_one_unnamed_pool_and_missing_gauges_stay_none() {
    let page =
        parse("db_client_connection_count{state=\"used\"} 2\nhikaricp_connections_pending 1\n");
    assert_eq!(
        page.pools,
        [ScrapedPool {
            name: None,
            used: Some(2),
            pending: Some(1),
            ..ScrapedPool::default()
        }]
    );
    assert!(!page.pools[0].judgeable(), "no max: cannot be judged");
    assert_eq!(page.pools[0].label(), "pool");
}

#[test]
fn a_page_without_pool_gauges_has_no_pools() {
    let page = parse("# EOF\nprocess_cpu_seconds_total 3.2\nup 1\n");
    assert_eq!(page, PoolPage::default());
    assert_eq!(parse(""), PoolPage::default());
}

#[test]
fn malformed_pool_lines_are_reported_and_the_rest_still_read() {
    let text = r#"db_client_connection_max{pool_name="a"} ten
db_client_connection_max{pool_name="a} 10
db_client_connection_max{pool_name="a" state="x"} 10
db_client_connection_max{pool_name="b"}
db_client_connection_max{pool_name="c"} -1
db_client_connection_max{pool_name="d"} 6
some_other_metric{broken 1
"#;
    let page = parse(text);
    assert_eq!(
        page.pools,
        [ScrapedPool {
            name: Some("d".into()),
            max: Some(6),
            ..ScrapedPool::default()
        }]
    );
    assert_eq!(page.malformed.len(), MALFORMED_KEPT, "{:?}", page.malformed);
    assert!(
        page.malformed[0].starts_with("line 1: `ten`"),
        "{:?}",
        page.malformed
    );
    assert!(
        page.malformed[1].starts_with("line 2:"),
        "{:?}",
        page.malformed
    );
    assert!(
        page.malformed[2].contains("separated"),
        "{:?}",
        page.malformed
    );
}

#[test]
fn label_values_are_unescaped_and_a_longer_name_is_not_a_pool_gauge() {
    let text = "db_client_connection_max{pool_name=\"a\\\"b\\\\c\"} 3\n\
                db_client_connection_max_seen{pool_name=\"x\"} 9\n";
    let page = parse(text);
    assert_eq!(page.pools.len(), 1);
    assert_eq!(page.pools[0].name.as_deref(), Some("a\"b\\c"));
}
