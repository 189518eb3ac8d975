//! Promises settled from the core's runtime through one threadsafe function per JS
//! thread, shared by every call, instead of one created (and torn down) per call.
//!
//! A finished call pushes its outcome onto the thread's queue; the first push into an
//! empty queue calls the threadsafe function once, and the JS thread then settles every
//! queued promise in one turn of its event loop. The function is referenced only while
//! calls are in flight, so an idle process exits as before; when the environment tears
//! down (a worker thread ends), later outcomes are dropped, never delivered to a freed
//! function.

use napi::bindgen_prelude::{FromNapiValue, Object, ToNapiValue};
use napi::{Env, Error, Result, Status, sys};
use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::marker::PhantomData;
use std::ptr;
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard};

/// Converts an outcome to a JS value on the JS thread (`Err`: the promise rejects).
type Convert = Box<dyn FnOnce(sys::napi_env) -> Result<sys::napi_value> + Send>;

/// One settled call waiting for the JS thread.
struct Done {
    deferred: sys::napi_deferred,
    convert: Convert,
}

/// What runtime threads share with the JS thread.
struct Queue {
    /// `None` once the environment is tearing down.
    tsfn: Option<sys::napi_threadsafe_function>,
    done: Vec<Done>,
    scheduled: bool,
}

// The raw handles are only used under the mutex (the threadsafe function, which N-API
// allows from any thread) or on the JS thread (the deferreds).
unsafe impl Send for Queue {}

struct Shared(Mutex<Queue>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The JS thread's side: the queue and the count of unsettled promises.
struct Local {
    shared: Arc<Shared>,
    tsfn: sys::napi_threadsafe_function,
    in_flight: Cell<u64>,
}

thread_local! {
    static LOCAL: RefCell<Option<Rc<Local>>> = const { RefCell::new(None) };
}

fn check(status: sys::napi_status, what: &str) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Error::new(Status::from(status), what.to_string()))
    }
}

/// The threadsafe function of this thread's environment, created on first use.
fn local(env: &Env) -> Result<Rc<Local>> {
    if let Some(l) = LOCAL.with(|l| l.borrow().clone()) {
        return Ok(l);
    }
    let raw = env.raw();
    let shared = Arc::new(Shared(Mutex::new(Queue {
        tsfn: None,
        done: Vec::new(),
        scheduled: false,
    })));
    let mut name = ptr::null_mut();
    let label = "apigw-management settle";
    check(
        unsafe {
            sys::napi_create_string_utf8(
                raw,
                label.as_ptr().cast(),
                label.len() as isize,
                &mut name,
            )
        },
        "cannot name the threadsafe function",
    )?;
    let mut tsfn = ptr::null_mut();
    check(
        unsafe {
            sys::napi_create_threadsafe_function(
                raw,
                ptr::null_mut(),
                ptr::null_mut(),
                name,
                0,
                1,
                ptr::null_mut(),
                None,
                ptr::null_mut(),
                Some(settle_queued),
                &mut tsfn,
            )
        },
        "cannot create the threadsafe function",
    )?;
    check(
        unsafe { sys::napi_unref_threadsafe_function(raw, tsfn) },
        "cannot unref the threadsafe function",
    )?;
    shared.lock().tsfn = Some(tsfn);
    // Registered after the function, so it runs before Node finalizes it (cleanup hooks
    // run in reverse order). The leaked reference is the hook's; it lives as long as
    // the environment.
    let hook_data = Arc::into_raw(shared.clone()) as *mut c_void;
    check(
        unsafe { sys::napi_add_env_cleanup_hook(raw, Some(teardown), hook_data) },
        "cannot register the environment's cleanup hook",
    )?;
    let l = Rc::new(Local {
        shared,
        tsfn,
        in_flight: Cell::new(0),
    });
    LOCAL.with(|slot| *slot.borrow_mut() = Some(l.clone()));
    Ok(l)
}

/// The environment is going away: outcomes that arrive later are dropped.
unsafe extern "C" fn teardown(data: *mut c_void) {
    let shared = unsafe { Arc::from_raw(data as *const Shared) };
    let mut q = shared.lock();
    q.tsfn = None;
    q.done.clear();
    drop(q);
    let _ = LOCAL.try_with(|slot| slot.borrow_mut().take());
}

/// Runs on the JS thread: settles every queued promise.
unsafe extern "C" fn settle_queued(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    _context: *mut c_void,
    _data: *mut c_void,
) {
    let Some(l) = LOCAL.try_with(|l| l.borrow().clone()).ok().flatten() else {
        return;
    };
    let done = {
        let mut q = l.shared.lock();
        q.scheduled = false;
        std::mem::take(&mut q.done)
    };
    if env.is_null() {
        return;
    }
    let settled = done.len() as u64;
    for d in done {
        let value = (d.convert)(env);
        unsafe {
            match value {
                Ok(v) => sys::napi_resolve_deferred(env, d.deferred, v),
                Err(e) => match ToNapiValue::to_napi_value(env, e) {
                    Ok(err) => sys::napi_reject_deferred(env, d.deferred, err),
                    Err(_) => sys::Status::napi_generic_failure,
                },
            };
        }
    }
    let left = l.in_flight.get().saturating_sub(settled);
    l.in_flight.set(left);
    if left == 0 {
        unsafe { sys::napi_unref_threadsafe_function(env, l.tsfn) };
    }
}

/// The settling side of one promise, sent to the runtime with its call.
pub(crate) struct Settler<V> {
    shared: Arc<Shared>,
    deferred: Option<sys::napi_deferred>,
    _value: PhantomData<fn(V)>,
}

// The deferred handle is only dereferenced on the JS thread (in `settle_queued`).
unsafe impl<V> Send for Settler<V> {}

/// A new promise and the settler that resolves or rejects it from any thread.
pub(crate) fn promise<'env, V>(env: &'env Env) -> Result<(Settler<V>, Object<'env>)>
where
    V: ToNapiValue + Send + 'static,
{
    let l = local(env)?;
    let mut deferred = ptr::null_mut();
    let mut raw_promise = ptr::null_mut();
    check(
        unsafe { sys::napi_create_promise(env.raw(), &mut deferred, &mut raw_promise) },
        "cannot create a promise",
    )?;
    let promise = unsafe { Object::from_napi_value(env.raw(), raw_promise)? };
    if l.in_flight.get() == 0 {
        check(
            unsafe { sys::napi_ref_threadsafe_function(env.raw(), l.tsfn) },
            "cannot ref the threadsafe function",
        )?;
    }
    l.in_flight.set(l.in_flight.get() + 1);
    let settler = Settler {
        shared: l.shared.clone(),
        deferred: Some(deferred),
        _value: PhantomData,
    };
    Ok((settler, promise))
}

impl<V: ToNapiValue + Send + 'static> Settler<V> {
    /// Queues the outcome for the JS thread.
    pub(crate) fn settle(mut self, outcome: Result<V>) {
        let convert: Convert = Box::new(move |env| {
            outcome.and_then(|v| unsafe { ToNapiValue::to_napi_value(env, v) })
        });
        self.push(convert);
    }
}

impl<V> Settler<V> {
    fn push(&mut self, convert: Convert) {
        let Some(deferred) = self.deferred.take() else {
            return;
        };
        let mut q = self.shared.lock();
        let Some(tsfn) = q.tsfn else {
            return;
        };
        q.done.push(Done { deferred, convert });
        if !q.scheduled {
            q.scheduled = true;
            let status = unsafe {
                sys::napi_call_threadsafe_function(
                    tsfn,
                    ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                )
            };
            if status != sys::Status::napi_ok {
                // Closing: the environment is going away and nobody awaits these.
                q.done.clear();
                q.scheduled = false;
            }
        }
    }
}

impl<V> Drop for Settler<V> {
    /// A call dropped before it settled still settles its promise (and releases the
    /// event loop), rejecting it.
    fn drop(&mut self) {
        if self.deferred.is_some() {
            self.push(Box::new(|_| {
                Err(Error::new(
                    Status::GenericFailure,
                    "the call was dropped before it finished".to_string(),
                ))
            }));
        }
    }
}
