//! Runs a parser on a thread with as much stack as it has where it runs
//! for real, so that recursion the input controls overflows here as it
//! would there.
//!
//! An overflow is a SIGSEGV on the thread's guard page. libFuzzer's handler
//! of it runs on the stack that overflowed unless the thread has an
//! alternate signal stack and the handler is set to use it; without both,
//! the process dies with no report and no saved input. So each parsing
//! thread gets one, and libFuzzer reports the overflow as a "deadly
//! signal" and keeps the input in `artifacts/`.

use std::sync::Once;

/// A tokio worker thread's stack: where the host parses requests.
#[allow(dead_code)] // not every target parses as the host does
pub const HOST: usize = 2 << 20;

/// Less than a module has in wasmtime (512 KiB of native stack), so a
/// recursion deep enough to matter there shows here first.
#[allow(dead_code)] // nor as a module does
pub const MODULE: usize = 256 << 10;

/// Runs `f` on a thread with `bytes` of stack.
pub fn with_stack<T: Send>(bytes: usize, f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .stack_size(bytes)
            .spawn_scoped(scope, || {
                let _alternate = AlternateStack::new();
                f()
            })
            .expect("a thread to parse on");
        thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The current thread's alternate signal stack, while it lives.
struct AlternateStack(Box<[u8]>);

impl AlternateStack {
    fn new() -> AlternateStack {
        static ON_STACK: Once = Once::new();
        // The handlers are libFuzzer's, installed before the first input.
        ON_STACK.call_once(|| {
            for signal in [libc::SIGSEGV, libc::SIGBUS] {
                // SAFETY: reads the current action and sets it again with
                // one more flag; no handler is replaced.
                unsafe {
                    let mut action: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(signal, std::ptr::null(), &mut action) == 0
                        && action.sa_sigaction != libc::SIG_DFL
                    {
                        action.sa_flags |= libc::SA_ONSTACK;
                        libc::sigaction(signal, &action, std::ptr::null_mut());
                    }
                }
            }
        });
        let mut memory = vec![0u8; 64 << 10].into_boxed_slice();
        let stack = libc::stack_t {
            ss_sp: memory.as_mut_ptr().cast(),
            ss_flags: 0,
            ss_size: memory.len(),
        };
        // SAFETY: the memory outlives its use: `drop` disables the
        // alternate stack before the memory is freed.
        unsafe { libc::sigaltstack(&stack, std::ptr::null_mut()) };
        AlternateStack(memory)
    }
}

impl Drop for AlternateStack {
    fn drop(&mut self) {
        let off = libc::stack_t {
            ss_sp: std::ptr::null_mut(),
            ss_flags: libc::SS_DISABLE,
            ss_size: 0,
        };
        // SAFETY: disables this thread's alternate stack.
        unsafe { libc::sigaltstack(&off, std::ptr::null_mut()) };
        let _ = &self.0;
    }
}
