//! Messages posted through the management API reach the client, whole and in order.

use crate::support::{client, connect, gateway, next};
use apigw_management::format_timestamp;
use futures_util::SinkExt;
use std::time::{Duration, SystemTime};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn text_and_binary_posts_arrive_as_text_and_binary_frames() {
    let gw = gateway().start().await.unwrap();
    let (mut ws, id) = connect(&gw, "delivery").await;
    let c = client(&gw);
    c.post_to_connection(&id, "héllo").await.unwrap();
    assert_eq!(next(&mut ws).await, Some(Message::text("héllo")));
    let bytes = vec![0u8, 0xff, 0xfe, 1];
    c.post_to_connection(&id, bytes.clone()).await.unwrap();
    assert_eq!(next(&mut ws).await, Some(Message::binary(bytes)));
}

#[tokio::test]
async fn a_message_of_the_maximum_size_arrives_whole() {
    let gw = gateway().start().await.unwrap();
    let (mut ws, id) = connect(&gw, "large").await;
    let data: String = (0..131_072)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    client(&gw)
        .post_to_connection(&id, data.clone())
        .await
        .unwrap();
    match next(&mut ws).await {
        Some(Message::Text(t)) => assert_eq!(t.as_str(), data),
        other => panic!("expected the text message, got {other:?}"),
    }
}

#[tokio::test]
async fn many_posts_to_one_connection_arrive_in_order() {
    let gw = gateway().start().await.unwrap();
    let (mut ws, id) = connect(&gw, "order").await;
    let c = client(&gw);
    for i in 0..300 {
        c.post_to_connection(&id, format!("m{i}")).await.unwrap();
    }
    for i in 0..300 {
        assert_eq!(next(&mut ws).await, Some(Message::text(format!("m{i}"))));
    }
}

#[tokio::test]
async fn broadcast_reaches_every_client() {
    let gw = gateway().start().await.unwrap();
    let mut clients = Vec::new();
    for i in 0..20 {
        clients.push(connect(&gw, &format!("b{i}")).await);
    }
    let ids: Vec<String> = clients.iter().map(|(_, id)| id.clone()).collect();
    let result = client(&gw)
        .broadcast(ids, "to all", Default::default())
        .await
        .unwrap();
    assert_eq!(result.delivered, 20);
    for (ws, _) in &mut clients {
        assert_eq!(next(ws).await, Some(Message::text("to all")));
    }
}

#[tokio::test]
async fn get_connection_describes_the_client() {
    let before = SystemTime::now() - Duration::from_millis(5);
    let gw = gateway().start().await.unwrap();
    let (mut ws, id) = connect(&gw, "Mozilla/5.0 test").await;
    let c = client(&gw);
    let conn = c.get_connection(&id).await.unwrap();
    assert_eq!(conn.identity.source_ip, "127.0.0.1");
    assert_eq!(conn.identity.user_agent, "Mozilla/5.0 test");
    assert!(conn.connected_at >= before && conn.connected_at <= SystemTime::now());
    assert_eq!(conn.last_active_at, conn.connected_at);
    tokio::time::sleep(Duration::from_millis(20)).await;
    ws.send(Message::text("ping")).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let now = c.get_connection(&id).await.unwrap();
        if now.last_active_at > conn.connected_at {
            assert_eq!(now.connected_at, conn.connected_at);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "lastActiveAt never moved"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let listed = gw.connections();
    assert_eq!(listed.len(), 1);
    let json = &listed[0].to_json();
    assert_eq!(json["connectedAt"], format_timestamp(conn.connected_at));
    assert_eq!(json["connectionId"], id.as_str());
}

#[tokio::test]
async fn connection_ids_have_the_service_shape() {
    let gw = gateway().start().await.unwrap();
    let (_a, a) = connect(&gw, "a").await;
    let (_b, b) = connect(&gw, "b").await;
    assert_ne!(a, b);
    for id in [a, b] {
        assert_eq!(id.len(), 16);
        assert!(id.ends_with('='));
    }
}
