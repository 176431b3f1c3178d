//! Scheduling hints for the threads that answer requests. The server's work comes in short
//! bursts (a commit, a sync frame), and on a machine with few cores a woken thread waiting
//! out another thread's full slice was much of a message's delivery tail.

/// Asks Linux's scheduler (EEVDF, 6.12 and later) for short time slices for the calling
/// thread: a woken task with a short slice gets an early deadline, so it runs before busy
/// threads with default slices (~3 ms) finish theirs. Elsewhere, or if refused, nothing
/// changes.
pub fn ask_for_short_slices() {
    #[cfg(target_os = "linux")]
    {
        /// `struct sched_attr` of `sched_setattr(2)`.
        #[repr(C)]
        struct SchedAttr {
            size: u32,
            policy: u32,
            flags: u64,
            nice: i32,
            priority: u32,
            runtime: u64,
            deadline: u64,
            period: u64,
        }
        let attr = SchedAttr {
            size: std::mem::size_of::<SchedAttr>() as u32,
            policy: libc::SCHED_OTHER as u32,
            flags: 0,
            nice: 0,
            priority: 0,
            // The shortest slice the kernel allows: 0.1 ms.
            runtime: 100_000,
            deadline: 0,
            period: 0,
        };
        // SAFETY: the kernel reads `size` bytes of a valid `sched_attr` for this thread.
        let status = unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &attr, 0u32) };
        if status != 0 {
            tracing::debug!(error = %std::io::Error::last_os_error(), "no short slices");
        }
    }
}
