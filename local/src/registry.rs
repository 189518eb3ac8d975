//! The table of WebSocket connections: who is connected, since when, and the queue of
//! messages waiting to be written to each.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{Notify, mpsc, oneshot, watch};

/// A message for a client, posted through the management API.
pub(crate) struct Outbound {
    pub data: Bytes,
    /// A text frame (the body is valid UTF-8) or a binary one.
    pub text: bool,
    /// Told once the message has been written to the socket.
    pub ack: Option<oneshot::Sender<()>>,
}

/// Why a post was not queued.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PostError {
    /// Closed, unknown or not yet accepted.
    Gone,
    /// The client is not reading: its queue holds the limit already.
    BufferFull,
}

/// One WebSocket connection.
pub(crate) struct Conn {
    pub id: String,
    pub connected_at: SystemTime,
    pub source_ip: String,
    pub user_agent: String,
    last_active_ms: AtomicU64,
    accepted: AtomicBool,
    tx: mpsc::UnboundedSender<Outbound>,
    queued_bytes: AtomicUsize,
    close: Mutex<Option<(u16, String)>>,
    closing: Notify,
}

impl Conn {
    /// When the client last sent a message.
    pub fn last_active_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.last_active_ms.load(Ordering::Relaxed))
    }

    /// Records a message from the client.
    pub fn touch(&self) {
        self.last_active_ms.store(now_ms(), Ordering::Relaxed);
    }

    /// True once `$connect` accepted it and the handshake completed.
    pub fn is_accepted(&self) -> bool {
        self.accepted.load(Ordering::Acquire)
    }

    /// Queues a message unless that puts more than `limit` bytes in the queue.
    pub fn post(
        &self,
        data: Bytes,
        limit: usize,
        ack: Option<oneshot::Sender<()>>,
    ) -> Result<(), PostError> {
        if !self.is_accepted() {
            return Err(PostError::Gone);
        }
        let len = data.len();
        let queued = self.queued_bytes.fetch_add(len, Ordering::AcqRel);
        if queued > 0 && queued + len > limit {
            self.queued_bytes.fetch_sub(len, Ordering::AcqRel);
            return Err(PostError::BufferFull);
        }
        let text = std::str::from_utf8(&data).is_ok();
        self.tx.send(Outbound { data, text, ack }).map_err(|_| {
            self.queued_bytes.fetch_sub(len, Ordering::AcqRel);
            PostError::Gone
        })
    }

    /// Records that `len` queued bytes were written to the socket.
    pub fn written(&self, len: usize) {
        self.queued_bytes.fetch_sub(len, Ordering::AcqRel);
    }

    /// Asks the connection's task to close it with `code` and `reason`.
    pub fn request_close(&self, code: u16, reason: &str) {
        self.accepted.store(false, Ordering::Release);
        let mut close = self.close.lock().unwrap_or_else(|p| p.into_inner());
        if close.is_none() {
            *close = Some((code, reason.to_string()));
        }
        self.closing.notify_one();
    }

    /// Waits until [`request_close`](Conn::request_close) is called; its code and reason.
    pub async fn close_requested(&self) -> (u16, String) {
        self.closing.notified().await;
        self.close
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or((1000, String::new()))
    }
}

/// Every connection, by id.
pub(crate) struct Connections {
    map: RwLock<HashMap<String, Arc<Conn>>>,
    accepted: watch::Sender<usize>,
}

impl Connections {
    pub fn new() -> Self {
        Connections {
            map: RwLock::new(HashMap::new()),
            accepted: watch::channel(0).0,
        }
    }

    /// Registers a connection under a fresh unique id, not yet accepted.
    pub fn register(
        &self,
        source_ip: String,
        user_agent: String,
    ) -> (Arc<Conn>, mpsc::UnboundedReceiver<Outbound>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        let id = loop {
            let id = crate::ids::new_connection_id();
            if !map.contains_key(&id) {
                break id;
            }
        };
        let now = now_ms();
        let conn = Arc::new(Conn {
            id: id.clone(),
            connected_at: UNIX_EPOCH + Duration::from_millis(now),
            source_ip,
            user_agent,
            last_active_ms: AtomicU64::new(now),
            accepted: AtomicBool::new(false),
            tx,
            queued_bytes: AtomicUsize::new(0),
            close: Mutex::new(None),
            closing: Notify::new(),
        });
        map.insert(id, conn.clone());
        (conn, rx)
    }

    /// Marks a registered connection accepted: the management API now reaches it.
    pub fn accept(&self, conn: &Conn) {
        let map = self.map.read().unwrap_or_else(|p| p.into_inner());
        if map.contains_key(&conn.id) && !conn.accepted.swap(true, Ordering::AcqRel) {
            self.accepted.send_modify(|n| *n += 1);
        }
    }

    /// The connection with this id, accepted or not.
    pub fn get(&self, id: &str) -> Option<Arc<Conn>> {
        self.map
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// Forgets a connection (the management API answers 410 from now on).
    pub fn remove(&self, id: &str) -> Option<Arc<Conn>> {
        let removed = self
            .map
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        if let Some(conn) = &removed {
            conn.accepted.store(false, Ordering::Release);
            self.accepted.send_modify(|n| *n = n.saturating_sub(1));
        }
        removed
    }

    /// Every accepted connection.
    pub fn accepted(&self) -> Vec<Arc<Conn>> {
        self.map
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .filter(|c| c.is_accepted())
            .cloned()
            .collect()
    }

    /// Every connection, accepted or not.
    pub fn all(&self) -> Vec<Arc<Conn>> {
        self.map
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Follows the number of accepted connections.
    pub fn watch_count(&self) -> watch::Receiver<usize> {
        self.accepted.subscribe()
    }
}

fn now_ms() -> u64 {
    crate::events::epoch_millis(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_reach_only_accepted_connections_and_stop_at_the_buffer_limit() {
        let table = Connections::new();
        let (conn, mut rx) = table.register("127.0.0.1".into(), "ua".into());
        assert_eq!(
            conn.post(Bytes::from_static(b"x"), 10, None),
            Err(PostError::Gone)
        );
        table.accept(&conn);
        assert_eq!(*table.watch_count().borrow(), 1);
        conn.post(Bytes::from_static(b"hello"), 8, None).unwrap();
        assert_eq!(
            conn.post(Bytes::from_static(b"world"), 8, None),
            Err(PostError::BufferFull)
        );
        let m = rx.try_recv().unwrap();
        assert!(m.text);
        conn.written(m.data.len());
        conn.post(Bytes::from_static(&[0xff, 0xfe]), 8, None)
            .unwrap();
        assert!(!rx.try_recv().unwrap().text);
        table.remove(&conn.id);
        assert_eq!(*table.watch_count().borrow(), 0);
        assert_eq!(
            conn.post(Bytes::from_static(b"x"), 10, None),
            Err(PostError::Gone)
        );
        assert!(table.get(&conn.id).is_none());
    }

    #[test]
    fn a_message_larger_than_the_limit_still_goes_to_an_empty_queue() {
        let table = Connections::new();
        let (conn, _rx) = table.register("127.0.0.1".into(), "ua".into());
        table.accept(&conn);
        conn.post(Bytes::from(vec![b'a'; 100]), 10, None).unwrap();
    }
}
