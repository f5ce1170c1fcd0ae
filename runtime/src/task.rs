//! A minimal single-threaded executor and a Promise future.
//!
//! wasm-bindgen-futures brings a task queue (`VecDeque<Rc<Task>>`), JSPI support and its own
//! closure signature into the glue: several KB for the two or three futures an embed runs. This
//! is the same model (tasks polled in a microtask, woken by promise callbacks) in safe code:
//! tasks live in a slot list, a waker is just the slot number, and every JS callback uses the
//! runtime's one closure type.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use js_sys::Promise;
use wasm_bindgen::JsValue;

use crate::bindings;
use crate::util::{js_closure, JsClosure};

type Task = Pin<Box<dyn Future<Output = ()>>>;

struct Executor {
    /// Spawned futures by slot; `None` = finished (the slot is reused).
    tasks: Vec<Option<Task>>,
    /// Slots woken since the last run.
    queue: Vec<usize>,
    /// Runs the queue; created on first use, lives as long as the page.
    run: Option<JsClosure>,
}

thread_local! {
    // const: no lazy-init code in the wasm.
    static EXECUTOR: RefCell<Executor> = const {
        RefCell::new(Executor {
            tasks: Vec::new(),
            queue: Vec::new(),
            run: None,
        })
    };
}

/// Wakes a task by slot number. A wake for a finished slot that was reused polls the new task
/// once more than needed, which futures allow.
struct Slot(usize);

impl Wake for Slot {
    fn wake(self: Arc<Self>) {
        schedule(self.0);
    }
}

fn schedule(slot: usize) {
    let run = EXECUTOR.with(|e| {
        let mut e = e.borrow_mut();
        e.queue.push(slot);
        if e.queue.len() > 1 {
            // A run is already queued.
            return None;
        }
        let run = e.run.get_or_insert_with(|| js_closure(|_| run_queue()));
        Some(run.as_ref().clone())
    });
    if let Some(run) = run {
        bindings::queue_microtask(&run);
    }
}

fn run_queue() {
    loop {
        let Some(slot) = EXECUTOR.with(|e| {
            let mut e = e.borrow_mut();
            (!e.queue.is_empty()).then(|| e.queue.remove(0))
        }) else {
            return;
        };
        // The future is taken out while it runs: it may spawn or wake tasks itself.
        let Some(mut task) = EXECUTOR.with(|e| e.borrow_mut().tasks.get_mut(slot)?.take()) else {
            continue;
        };
        let waker = Waker::from(Arc::new(Slot(slot)));
        if task
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
        {
            EXECUTOR.with(|e| e.borrow_mut().tasks[slot] = Some(task));
        }
    }
}

/// Runs `future` to completion on the page's event loop (first poll in a microtask).
///
/// The embed's executor: widgets use it instead of `wasm_bindgen_futures::spawn_local`, so only
/// one executor ships.
///
/// ```no_run
/// # fn demo(promise: js_sys::Promise) {
/// ck_runtime::spawn(async move {
///     let _outcome = ck_runtime::wait(promise).await;
/// });
/// # }
/// ```
pub fn spawn(future: impl Future<Output = ()> + 'static) {
    let slot = EXECUTOR.with(|e| {
        let mut e = e.borrow_mut();
        let task: Task = Box::pin(future);
        match e.tasks.iter().position(Option::is_none) {
            Some(free) => {
                e.tasks[free] = Some(task);
                free
            }
            None => {
                e.tasks.push(Some(task));
                e.tasks.len() - 1
            }
        }
    });
    schedule(slot);
}

#[derive(Default)]
struct Settled {
    result: Option<Result<JsValue, JsValue>>,
    waker: Option<Waker>,
}

/// A JS promise as a future; see [`wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct Wait {
    promise: Option<Promise>,
    settled: Rc<RefCell<Settled>>,
    /// The `then` callbacks; dropping them with the future frees them.
    _callbacks: Option<(JsClosure, JsClosure)>,
}

/// Awaits a JS promise: `Ok` with its value, `Err` with its rejection reason.
///
/// ```no_run
/// # async fn demo(promise: js_sys::Promise) {
/// match ck_runtime::wait(promise).await {
///     Ok(value) => { let _ = value.as_f64(); }
///     Err(reason) => { let _ = reason; }
/// }
/// # }
/// ```
pub fn wait(promise: Promise) -> Wait {
    Wait {
        promise: Some(promise),
        settled: Rc::default(),
        _callbacks: None,
    }
}

fn settle(settled: &Rc<RefCell<Settled>>, ok: bool) -> JsClosure {
    let settled = settled.clone();
    js_closure(move |value| {
        let waker = {
            let mut s = settled.borrow_mut();
            s.result = Some(if ok { Ok(value) } else { Err(value) });
            s.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    })
}

impl Future for Wait {
    type Output = Result<JsValue, JsValue>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(promise) = self.promise.take() {
            let (ok, err) = (settle(&self.settled, true), settle(&self.settled, false));
            bindings::then(&promise, &ok, &err);
            self._callbacks = Some((ok, err));
        }
        let mut s = self.settled.borrow_mut();
        match s.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
