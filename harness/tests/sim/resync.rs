//! Resync through the simulator: discovery again after the bucket changed, compared
//! with the last catalog.

use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use s3_connector::connector::{Connector, ConnectorOptions};
use s3_connector::resync::{Catalog, Change, diff};
use s3_harness::scenario::load_scenario;
use s3_harness::{Simulator, Who};

#[tokio::test]
async fn a_new_table_and_a_retyped_file_show_up_as_changes() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let scenario = load_scenario(&repo.join("scenarios/valid/daily_csv.toml")).unwrap();
    let form = scenario.connection.clone().unwrap();
    let sim = Simulator::builder().scenario(scenario).start().await.unwrap();
    let connector = Connector::new(sim.client(Who::Platform).unwrap(), ConnectorOptions::default());
    let before = connector.connect(&form).await;
    assert_eq!(before.tables.len(), 2);

    // The customer adds a table and rewrites one day of `clicks` with another schema.
    let owner = sim.client(Who::BucketOwner("acme-data")).unwrap();
    let put = |key: String, body: &'static str| {
        owner
            .put_object()
            .bucket("acme-data")
            .key(key)
            .body(ByteStream::from_static(body.as_bytes()))
            .send()
    };
    put(
        "data/audiences/orders/date=2025-02-01/part-0.csv".into(),
        "order_id,total\n1,9.5\n",
    )
    .await
    .unwrap();
    // The days whose schema is sampled (first, middle and last file).
    for day in ["01", "04", "07"] {
        let key = format!("data/audiences/clicks/date=2025-01-{day}/part-0.csv");
        put(
            key,
            "click_id,user_id,url,ts,campaign\n1,2,/a,2025-01-01T00:00:00Z,spring\n",
        )
        .await
        .unwrap();
    }
    let after = connector.connect(&form).await;
    let changes = diff(
        &Catalog::from_tables(&before.tables),
        &Catalog::from_tables(&after.tables),
    );
    assert_eq!(
        changes,
        vec![
            Change::ColumnAdded {
                table: "clicks".into(),
                column: "campaign".into(),
                data_type: "string".into()
            },
            Change::TableAdded { table: "orders".into() },
        ]
    );
}
