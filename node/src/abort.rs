//! Cancellation of one call from an `AbortSignal`: the JS side calls
//! [`AbortToken::abort`] from the signal's `abort` event.

use napi_derive::napi;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

#[derive(Default)]
struct Inner {
    aborted: AtomicBool,
    notify: Notify,
}

/// A cancellation handle passed with one call.
#[napi]
#[derive(Default)]
pub struct AbortToken {
    inner: Arc<Inner>,
}

#[napi]
impl AbortToken {
    /// A token that has not fired.
    #[napi(constructor)]
    pub fn new() -> Self {
        AbortToken::default()
    }

    /// Fires the token: the call it was given to rejects as aborted (the request may
    /// already have been delivered).
    #[napi]
    pub fn abort(&self) {
        self.inner.aborted.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }
}

/// The waiting side of a token, moved into the spawned call.
#[derive(Clone)]
pub(crate) struct AbortWatch {
    inner: Arc<Inner>,
}

impl AbortToken {
    pub(crate) fn watch(&self) -> AbortWatch {
        AbortWatch {
            inner: self.inner.clone(),
        }
    }
}

impl AbortWatch {
    /// Runs `fut` unless the token fires first (`None` then).
    pub(crate) async fn run<F: Future>(self, fut: F) -> Option<F::Output> {
        let notified = self.inner.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.inner.aborted.load(Ordering::SeqCst) {
            return None;
        }
        tokio::select! {
            biased;
            _ = notified => None,
            out = fut => Some(out),
        }
    }
}
